package dev.dfc.compiler.parse;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import dev.dfc.grammar.DfsqlLexer;
import dev.dfc.grammar.DfsqlParser;
import java.nio.CharBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;
import org.antlr.v4.runtime.CodePointBuffer;
import org.antlr.v4.runtime.CodePointCharStream;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;

/**
 * The parser facade: text in, AST and syntax diagnostics out. Never throws on user input.
 *
 * <p>Statements are parsed one at a time; a syntax error abandons the statement it is in and
 * parsing resumes after the next {@code ;}, so one run reports the problems of every statement.
 * Pass-through SQL is not parsed, only delimited, where psql would end it.
 * Parsing runs on a thread with a stack sized for the input, so deeply nested expressions (10,000
 * levels and more) cannot overflow the caller's stack; the nesting limit is the checker's business.
 */
public final class Parser {
    private Parser() {}

    public record ParseResult(Script script, List<Diagnostic> diagnostics) {
        public ParseResult {
            diagnostics = List.copyOf(diagnostics);
        }
    }

    /** An embedded expression (script mode); {@code expr} is null when it has errors. */
    public record ExpressionResult(Expr expr, List<Diagnostic> diagnostics) {
        public ExpressionResult {
            diagnostics = List.copyOf(diagnostics);
        }
    }

    public static ParseResult parse(SourceFile file) {
        return onLargeStack(file.text().length(), () -> {
            List<Diagnostic> diagnostics = new ArrayList<>();
            try {
                List<Statement> statements = statements(file, diagnostics);
                // Lexical problems are found before syntax errors; report both in source order.
                diagnostics.sort(Comparator.comparingInt(d -> d.span().start()));
                return new ParseResult(new Script(file, statements), diagnostics);
            } catch (RuntimeException | StackOverflowError e) {
                diagnostics.add(internalError(file, e));
                return new ParseResult(new Script(file, List.of()), diagnostics);
            }
        });
    }

    /**
     * Parses {@code file.text()[start, end)} as exactly one workflow expression, e.g. the first
     * argument of a {@code df.start(...)} call found in pass-through SQL. Spans point into {@code file}.
     */
    public static ExpressionResult parseExpression(SourceFile file, int start, int end) {
        return onLargeStack(end - start, () -> {
            List<Diagnostic> diagnostics = new ArrayList<>();
            try {
                Expr expr = expression(file, start, end, diagnostics);
                diagnostics.sort(Comparator.comparingInt(d -> d.span().start()));
                return new ExpressionResult(expr, diagnostics);
            } catch (RuntimeException | StackOverflowError e) {
                diagnostics.add(internalError(file, e));
                return new ExpressionResult(null, diagnostics);
            }
        });
    }

    /**
     * The statements of a file. The text is lexed from the start, and lexed again after the data
     * of each {@code COPY … FROM STDIN}, which is not SQL: psql sends the lines after the
     * statement's ';' line as data, up to a line {@code \.}.
     */
    private static List<Statement> statements(SourceFile file, List<Diagnostic> diagnostics) {
        List<Statement> statements = new ArrayList<>();
        int from = 0;
        while (true) {
            List<Diagnostic> lexical = new ArrayList<>();
            CommonTokenStream tokens = tokenize(file.text().substring(from), file, from, lexical);
            nulCharacters(tokens, file, from, lexical);
            int dataStart = statements(file, from, tokens, statements, diagnostics);
            int end = dataStart < 0 ? file.text().length() : dataStart;
            // what the lexer made of the data (an unterminated quote, ...) is not an error
            for (Diagnostic d : lexical) if (d.span().start() < end) diagnostics.add(d);
            if (dataStart < 0) return statements;
            from = copyDataEnd(file.text(), dataStart);
            for (int i = file.text().indexOf('\0', dataStart); i >= 0 && i < from; i = file.text().indexOf('\0', i + 1)) {
                diagnostics.add(Diagnostic.error("DF1003", file.span(i, i + 1), "invalid character U+0000")
                        .withHint("PostgreSQL text cannot contain a NUL byte, not even in COPY data; remove it"));
            }
        }
    }

    /**
     * Parses the statements of {@code tokens} (the file's text from {@code base}) into
     * {@code statements}, up to the end, or up to and including a {@code COPY … FROM STDIN;}:
     * then returns the offset in the file just after its ';', where its data starts; else -1.
     */
    private static int statements(SourceFile file, int base, CommonTokenStream tokens, List<Statement> statements,
            List<Diagnostic> diagnostics) {
        DfsqlParser parser = newParser(tokens, file, base, diagnostics);
        AstBuilder builder = new AstBuilder(file, tokens, base, diagnostics);
        while (tokens.LA(1) != Token.EOF) {
            int before = tokens.index();
            if (startsPassThrough(tokens)) {
                Token first = tokens.LT(1);
                Token last = passThroughEnd(tokens);
                Diagnostic unsupported = createOrReplaceWorkflow(first, tokens, file, base);
                if (unsupported != null) {
                    diagnostics.add(unsupported);
                    continue;
                }
                Span span = file.span(base + first.getStartIndex(), base + last.getStopIndex() + 1);
                Token semicolon = tokens.get(nextVisible(tokens, last.getTokenIndex()));
                if (semicolon.getType() == DfsqlParser.SEMI && copyFromStdin(tokens, first.getTokenIndex(), last.getTokenIndex())) {
                    int dataStart = base + semicolon.getStopIndex() + 1;
                    int dataEnd = copyDataEnd(file.text(), dataStart);
                    statements.add(new Statement.PassThrough(span, span.text(), List.of(),
                            file.text().substring(dataStart, dataEnd)));
                    return dataStart;
                }
                statements.add(new Statement.PassThrough(span, span.text()));
                continue;
            }
            try {
                DfsqlParser.StatementContext ctx = parser.terminatedStatement().statement();
                Statement s = builder.statement(ctx);
                if (s instanceof Statement.WorkflowDef wf && ctx.workflowDef().name.identifier().size() > 2) {
                    diagnostics.add(Diagnostic.error("DF1006", wf.nameSpan(),
                                    "improper workflow name '" + wf.nameSpan().text() + "': too many dotted names")
                            .withHint("a workflow name is an identifier, optionally schema-qualified: name or schema.name"));
                }
                if (s != null) statements.add(s);
            } catch (SyntaxErrorStrategy.StatementAbandoned abandoned) {
                while (tokens.LA(1) != Token.EOF && tokens.LA(1) != DfsqlParser.SEMI) tokens.consume();
                if (tokens.LA(1) == DfsqlParser.SEMI) tokens.consume();
            }
            parser.getErrorHandler().reset(parser);
            if (tokens.index() == before && tokens.LA(1) != Token.EOF) tokens.consume();
        }
        return -1;
    }

    /**
     * Whether tokens [first, last] are {@code COPY … FROM STDIN …}, for which psql reads data from
     * the script: its first word is COPY and the words FROM STDIN follow each other (not in a
     * string, a quoted identifier or a comment).
     */
    private static boolean copyFromStdin(CommonTokenStream tokens, int first, int last) {
        if (!tokens.get(first).getText().equalsIgnoreCase("copy")) return false;
        Token previous = null;
        for (int i = first + 1; i <= last; i++) {
            Token t = tokens.get(i);
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            if (previous != null && previous.getText().equalsIgnoreCase("from") && t.getText().equalsIgnoreCase("stdin")) return true;
            previous = t;
        }
        return false;
    }

    /**
     * Where the data of a COPY FROM STDIN whose ';' ends at {@code afterSemicolon} ends: after the
     * first line {@code \.} (psql's end of data) among the lines after the ';' line, or at the end
     * of the text (where psql ends it too).
     */
    static int copyDataEnd(String text, int afterSemicolon) {
        int line = text.indexOf('\n', afterSemicolon);
        while (line >= 0) {
            int start = line + 1;
            int end = text.indexOf('\n', start);
            String content = text.substring(start, end < 0 ? text.length() : end);
            if (content.equals("\\.") || content.equals("\\.\r")) return end < 0 ? text.length() : end + 1;
            line = end;
        }
        return text.length();
    }

    /** Whether the next statement is pass-through SQL: anything but an empty statement or CREATE WORKFLOW. */
    private static boolean startsPassThrough(CommonTokenStream tokens) {
        int first = tokens.LA(1);
        return first != DfsqlParser.SEMI && !(first == DfsqlParser.CREATE && tokens.LA(2) == DfsqlParser.WORKFLOW);
    }

    /**
     * Consumes one pass-through statement and its ';', and returns its last visible token. Where it
     * ends follows psql (src/fe_utils/psqlscan.l), not only the lexical rules, so that dfc splits a
     * script exactly as psql will run it: a ';' ends the statement only outside parentheses and,
     * in a statement that starts CREATE [OR REPLACE] FUNCTION|PROCEDURE, outside a BEGIN … END
     * body (psql's heuristic: at parenthesis depth 0, BEGIN opens a block, CASE opens one only
     * inside a block, END closes one). A psql meta-command (a backslash) runs to the end of its
     * line, ';' included.
     */
    private static Token passThroughEnd(CommonTokenStream tokens) {
        Token last = tokens.LT(1);
        PsqlStatementEnd end = new PsqlStatementEnd();
        int k = tokens.index();
        for (; k < tokens.size(); k++) {
            Token t = tokens.get(k);
            if (t.getType() == Token.EOF) break;
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            int type = t.getType();
            if (type == DfsqlParser.SEMI && end.semicolonEnds()) break;
            last = t;
            if (type == DfsqlParser.OTHER && t.getText().equals("\\")) {
                // a psql meta-command (\gset, \echo a; b): its arguments run to the end of the
                // line, where a ';' is text, not the end of a statement
                while (k + 1 < tokens.size() && tokens.get(k + 1).getType() != Token.EOF
                        && tokens.get(k + 1).getText().indexOf('\n') < 0) {
                    k++;
                    if (tokens.get(k).getChannel() == Token.DEFAULT_CHANNEL) last = tokens.get(k);
                }
                continue;
            }
            if (type == DfsqlParser.LPAREN) {
                end.openParen();
            } else if (type == DfsqlParser.RPAREN) {
                end.closeParen();
            } else if (isWord(type)) {
                end.word(t.getText());
            }
        }
        tokens.seek(k < tokens.size() && tokens.get(k).getType() == DfsqlParser.SEMI ? k + 1 : k);
        return last;
    }

    /** Tokens psql reads as identifiers (keywords included; quoted identifiers are not). */
    private static boolean isWord(int type) {
        return type == DfsqlParser.IDENT || type == DfsqlParser.CREATE || type == DfsqlParser.WORKFLOW
                || type == DfsqlParser.AS || type == DfsqlParser.DEFAULT || type == DfsqlParser.NULL
                || type == DfsqlParser.TRUE || type == DfsqlParser.FALSE;
    }

    /**
     * DF1004 for {@code CREATE OR REPLACE WORKFLOW}, which reads as pass-through SQL: without this
     * check it would reach PostgreSQL and fail there with a confusing message.
     */
    private static Diagnostic createOrReplaceWorkflow(Token create, CommonTokenStream tokens, SourceFile file, int base) {
        int or = nextVisible(tokens, create.getTokenIndex());
        int replace = nextVisible(tokens, or);
        int workflow = nextVisible(tokens, replace);
        if (create.getType() != DfsqlParser.CREATE
                || !tokens.get(or).getText().equalsIgnoreCase("or")
                || !tokens.get(replace).getText().equalsIgnoreCase("replace")
                || tokens.get(workflow).getType() != DfsqlParser.WORKFLOW) {
            return null;
        }
        return Diagnostic.error("DF1004", file.span(base + create.getStartIndex(), base + tokens.get(workflow).getStopIndex() + 1),
                        "CREATE OR REPLACE WORKFLOW is not supported")
                .withHint("write CREATE WORKFLOW: compiling a changed workflow adds a new version of it");
    }

    /** Index of the next default-channel token after {@code index} (the EOF token at the latest). */
    private static int nextVisible(CommonTokenStream tokens, int index) {
        int i = Math.min(index + 1, tokens.size() - 1);
        while (i < tokens.size() - 1 && tokens.get(i).getChannel() != Token.DEFAULT_CHANNEL) i++;
        return i;
    }

    private static Expr expression(SourceFile file, int start, int end, List<Diagnostic> diagnostics) {
        int from = Math.max(0, Math.min(start, file.text().length()));
        int to = Math.max(from, Math.min(end, file.text().length()));
        int errorsBefore = diagnostics.size();
        CommonTokenStream tokens = tokenize(file.text().substring(from, to), file, from, diagnostics);
        DfsqlParser parser = newParser(tokens, file, from, diagnostics);
        try {
            Expr expr = new AstBuilder(file, tokens, from, diagnostics).expr(parser.standaloneExpr().expr());
            return diagnostics.size() == errorsBefore ? expr : null;
        } catch (SyntaxErrorStrategy.StatementAbandoned abandoned) {
            return null;
        }
    }

    private static DfsqlParser newParser(CommonTokenStream tokens, SourceFile file, int base, List<Diagnostic> diagnostics) {
        DfsqlParser parser = new DfsqlParser(tokens);
        parser.removeErrorListeners();
        // SLL resolves the one ambiguity of the grammar (a dangling '!>' goes to the nearest '?>')
        // without full-context prediction, which is quadratic in the nesting depth. No decision of
        // this grammar needs the full context to parse valid input.
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        parser.setErrorHandler(new SyntaxErrorStrategy(file, base, diagnostics));
        return parser;
    }

    /**
     * Lexes the whole text and reports lexical problems: literals and comments that run to the end
     * of the input (DF1002, at their opening delimiter) and control characters outside them (DF1003).
     * Offsets stay UTF-16 indices, as in {@link SourceFile}, because the char stream is built from chars.
     */
    private static CommonTokenStream tokenize(String text, SourceFile file, int base, List<Diagnostic> diagnostics) {
        CodePointCharStream chars = CodePointCharStream.fromBuffer(
                CodePointBuffer.withChars(CharBuffer.wrap(text.toCharArray())), file.path());
        DfsqlLexer lexer = new DfsqlLexer(chars);
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        for (Token t : tokens.getTokens()) {
            String opening = switch (t.getType()) {
                case DfsqlParser.UNTERMINATED_STRING -> t.getText().startsWith("'") ? "'" : t.getText().substring(0, 3);
                case DfsqlParser.UNTERMINATED_ESCAPE_STRING -> t.getText().substring(0, 2);
                case DfsqlParser.UNTERMINATED_QUOTED_IDENT -> "\"";
                case DfsqlParser.UNTERMINATED_DOLLAR_STRING -> t.getText().substring(0, t.getText().indexOf('$', 1) + 1);
                case DfsqlParser.UNTERMINATED_COMMENT -> "/*";
                default -> null;
            };
            int start = base + t.getStartIndex();
            if (opening != null) {
                Diagnostic d = Diagnostic.error("DF1002", file.span(start, start + opening.length()), unterminated(t.getType(), opening));
                diagnostics.add(d.withHint(t.getType() == DfsqlParser.UNTERMINATED_COMMENT
                        ? "close it with */ (comments nest: every /* needs its own */)"
                        : "close it with " + closing(t.getType(), opening)));
            } else if (t.getType() == DfsqlParser.QUOTED_IDENT && t.getText().equals("\"\"")) {
                diagnostics.add(Diagnostic.error("DF1005", file.span(start, start + 2), "zero-length quoted identifier")
                        .withHint("a quoted identifier needs at least one character between the quotes"));
            } else if (t.getType() == DfsqlParser.CONTROL_CHAR) {
                diagnostics.add(Diagnostic.error("DF1003", file.span(start, start + 1),
                        "invalid character " + SyntaxErrorStrategy.describeChar(t.getText())));
            }
        }
        return tokens;
    }

    /**
     * DF1003 for each NUL (U+0000) inside a literal, quoted identifier or comment (outside them the
     * lexer makes it a CONTROL_CHAR, reported by {@link #tokenize}). PostgreSQL cannot hold a NUL
     * in any text, so no statement or step containing one could run, and psql would cut the
     * script at it.
     */
    private static void nulCharacters(CommonTokenStream tokens, SourceFile file, int base, List<Diagnostic> diagnostics) {
        if (file.text().indexOf('\0', base) < 0) return;     // (the usual case: no token's text is made)
        for (Token t : tokens.getTokens()) {
            if (t.getType() == DfsqlParser.CONTROL_CHAR || t.getType() == Token.EOF) continue;
            String text = t.getText();
            for (int i = text.indexOf('\0'); i >= 0; i = text.indexOf('\0', i + 1)) {
                int at = base + t.getStartIndex() + i;
                diagnostics.add(Diagnostic.error("DF1003", file.span(at, at + 1), "invalid character U+0000")
                        .withHint("PostgreSQL text cannot contain a NUL byte, not even in a literal or comment; remove it"));
            }
        }
    }

    private static String unterminated(int type, String opening) {
        return switch (type) {
            case DfsqlParser.UNTERMINATED_QUOTED_IDENT -> "unterminated quoted identifier";
            case DfsqlParser.UNTERMINATED_DOLLAR_STRING -> "unterminated dollar-quoted string " + opening;
            case DfsqlParser.UNTERMINATED_COMMENT -> "unterminated /* comment";
            default -> "unterminated string literal";
        };
    }

    private static String closing(int type, String opening) {
        return switch (type) {
            case DfsqlParser.UNTERMINATED_QUOTED_IDENT -> "\"";
            case DfsqlParser.UNTERMINATED_DOLLAR_STRING -> opening;
            default -> "' (a quote inside the string is written '')";
        };
    }

    private static Diagnostic internalError(SourceFile file, Throwable e) {
        return Diagnostic.error("DF9001", file.span(0, 0), "internal error in the parser: " + e);
    }

    /**
     * Runs {@code work} on a thread whose stack grows with the input, because the parser and the
     * AST builder recurse once per nesting level. Runs on the caller's thread when it is a
     * {@link LargeStackThread} with room enough (the compiler's), or if no thread can be created.
     */
    private static <T> T onLargeStack(int inputLength, Supplier<T> work) {
        long stack = Math.min(1L << 30, Math.max(16L << 20, inputLength * 8192L));
        if (LargeStackThread.currentHasAtLeast(stack)) return work.get();
        Object[] result = new Object[1];
        Thread thread;
        try {
            thread = new Thread(null, () -> result[0] = work.get(), "dfc-parse", stack);
            thread.setDaemon(true);
            thread.start();
        } catch (OutOfMemoryError | SecurityException e) {
            return work.get();
        }
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) Thread.currentThread().interrupt();
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }
}
