package dev.dfc.compiler.parse;

import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.grammar.DfsqlParser;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.InputMismatchException;
import org.antlr.v4.runtime.NoViableAltException;
import org.antlr.v4.runtime.Parser;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.ATNConfig;
import org.antlr.v4.runtime.atn.NotSetTransition;
import org.antlr.v4.runtime.atn.Transition;
import org.antlr.v4.runtime.atn.WildcardTransition;
import org.antlr.v4.runtime.misc.IntervalSet;

/**
 * Replaces ANTLR's default error strategy: nothing is ever inserted or deleted to keep going.
 * The first error in a statement becomes a DF1001 (or DF1003 for a character no token accepts)
 * and abandons the statement; {@link dev.dfc.compiler.parse.Parser} resumes after the next ';'.
 */
final class SyntaxErrorStrategy extends DefaultErrorStrategy {

    /** Thrown to unwind the parser out of an abandoned statement. */
    static final class StatementAbandoned extends RuntimeException {
        StatementAbandoned() {
            super(null, null, false, false);
        }
    }

    private final SourceFile file;
    private final int base;
    private final List<Diagnostic> diagnostics;

    /** @param base offset of the parsed text within {@code file} */
    SyntaxErrorStrategy(SourceFile file, int base, List<Diagnostic> diagnostics) {
        this.file = file;
        this.base = base;
        this.diagnostics = diagnostics;
    }

    /** Decisions passed at the current token (state, context): what they would have accepted is expected too. */
    private int decisionsTokenIndex = -1;
    private final List<Integer> decisionStates = new ArrayList<>();
    private final List<ParserRuleContext> decisionContexts = new ArrayList<>();

    @Override
    public void sync(Parser recognizer) {
        // The default deletes "extraneous" tokens here; errors surface at the next match instead.
        // Remember the decision so the error message can list every token that would have continued,
        // e.g. ',' after an argument when the parser then fails to match ')'.
        int index = recognizer.getInputStream().index();
        if (index != decisionsTokenIndex) {
            decisionsTokenIndex = index;
            decisionStates.clear();
            decisionContexts.clear();
        }
        if (decisionStates.size() < 32) {
            decisionStates.add(recognizer.getState());
            decisionContexts.add(recognizer.getContext());
        }
    }

    @Override
    public Token recoverInline(Parser recognizer) {
        throw new InputMismatchException(recognizer);
    }

    @Override
    public void recover(Parser recognizer, RecognitionException e) {
        throw new StatementAbandoned();
    }

    @Override
    public void reportError(Parser recognizer, RecognitionException e) {
        Token offending = e.getOffendingToken() != null ? e.getOffendingToken() : recognizer.getCurrentToken();
        switch (offending.getType()) {
            case DfsqlParser.UNTERMINATED_STRING, DfsqlParser.UNTERMINATED_ESCAPE_STRING,
                 DfsqlParser.UNTERMINATED_QUOTED_IDENT, DfsqlParser.UNTERMINATED_DOLLAR_STRING,
                 DfsqlParser.UNTERMINATED_COMMENT, DfsqlParser.CONTROL_CHAR -> {
                return; // already reported by the lexical pass
            }
            case DfsqlParser.OTHER -> {
                diagnostics.add(Diagnostic.error("DF1003", span(offending),
                        "invalid character " + describeChar(offending.getText()))
                        .withHint(offending.getText().equals("$")
                                ? "references like $name belong inside SQL text, e.g. 'SELECT $name'"
                                : null));
                return;
            }
            default -> { }
        }
        Set<String> expected = expectedNames(recognizer, e, offending);
        String found = offending.getType() == Token.EOF
                ? "unexpected end of input"
                : "mismatched input " + quote(offending.getText());
        String message = switch (expected.size()) {
            case 0 -> found;
            case 1 -> found + ", expecting " + expected.iterator().next();
            default -> found + ", expecting one of: " + String.join(", ", expected);
        };
        Token previous = offending.getTokenIndex() > 0
                ? recognizer.getInputStream().get(previousVisible(recognizer, offending.getTokenIndex()))
                : null;
        String hint = null;
        if (previous != null && previous.getType() == DfsqlParser.BIND && offending.getType() == DfsqlParser.IDENT) {
            hint = "a result name is a string literal: |=> '" + offending.getText() + "'";
        } else if (previous != null && expected.contains("';'") && offending.getType() != Token.EOF
                && file.line(base + offending.getStartIndex()) > file.line(base + previous.getStopIndex())) {
            hint = "is a ';' missing at the end of line " + file.line(base + previous.getStopIndex()) + "?";
        }
        dev.dfc.compiler.source.Span at = span(offending);
        if (offending.getType() == Token.EOF && previous != null) {
            // Point just after the last token rather than at trailing blank lines.
            at = file.span(base + previous.getStopIndex() + 1, base + previous.getStopIndex() + 1);
        }
        diagnostics.add(Diagnostic.error("DF1001", at, message).withHint(hint));
    }

    private static int previousVisible(Parser recognizer, int index) {
        int i = index - 1;
        while (i > 0 && recognizer.getInputStream().get(i).getChannel() != Token.DEFAULT_CHANNEL) i--;
        return i;
    }

    private dev.dfc.compiler.source.Span span(Token t) {
        if (t.getType() == Token.EOF) {
            int end = base + Math.max(0, t.getStartIndex());
            return file.span(end, end);
        }
        return file.span(base + t.getStartIndex(), base + t.getStopIndex() + 1);
    }

    private Set<String> expectedNames(Parser recognizer, RecognitionException e, Token offending) {
        IntervalSet expected = null;
        if (e instanceof NoViableAltException nva && nva.getDeadEndConfigs() != null
                && nva.getOffendingToken() != nva.getStartToken()) {
            // Prediction failed after looking ahead: what was viable is what the surviving
            // configurations could match next, not what could start the decision.
            expected = new IntervalSet();
            int maxType = recognizer.getATN().maxTokenType;
            for (ATNConfig c : nva.getDeadEndConfigs()) {
                for (int i = 0; i < c.state.getNumberOfTransitions(); i++) {
                    Transition t = c.state.transition(i);
                    if (t.isEpsilon() || t instanceof WildcardTransition) continue;
                    IntervalSet label = t.label();
                    if (label == null) continue;
                    if (t instanceof NotSetTransition) label = label.complement(Token.MIN_USER_TOKEN_TYPE, maxType);
                    expected.addAll(label);
                }
            }
        }
        if (expected == null || expected.isNil()) {
            expected = new IntervalSet();
            if (e.getExpectedTokens() != null) expected.addAll(e.getExpectedTokens());
            if (decisionsTokenIndex == offending.getTokenIndex()) {
                for (int i = 0; i < decisionStates.size(); i++) {
                    expected.addAll(recognizer.getATN().getExpectedTokens(decisionStates.get(i), decisionContexts.get(i)));
                }
            }
        }
        List<Integer> types = new ArrayList<>(expected.toList());
        Set<String> names = new LinkedHashSet<>();
        if (types.containsAll(EXPRESSION_START)) {
            names.add("expression");
            types.removeAll(EXPRESSION_START);
        }
        if (types.contains(DfsqlParser.IDENT) || names.contains("expression")) {
            // Non-reserved keywords and quoted identifiers are identifiers too.
            types.remove((Integer) DfsqlParser.CREATE);
            types.remove((Integer) DfsqlParser.WORKFLOW);
            types.remove((Integer) DfsqlParser.QUOTED_IDENT);
        }
        if (types.contains(DfsqlParser.SEMI)) types.remove((Integer) Token.EOF);
        boolean operator = types.containsAll(BINARY_OPERATORS);
        if (operator) types.removeAll(BINARY_OPERATORS);
        if (types.size() > 12) {
            // Only a SQL fragment (a parameter default) accepts almost any token.
            return e.getCtx() instanceof DfsqlParser.SqlFragmentContext ? Set.of("default value") : Set.of();
        }
        boolean typeExpected = e.getCtx() instanceof DfsqlParser.TypeNameContext
                || e.getCtx() instanceof DfsqlParser.TypeWordContext;
        for (int type : types) {
            String name = tokenName(type);
            names.add(typeExpected && name.equals("identifier") ? "type name" : name);
        }
        if (operator) names.add("an operator");
        return names;
    }

    private static final List<Integer> BINARY_OPERATORS = List.of(
            DfsqlParser.CAST, DfsqlParser.UNDO, DfsqlParser.BIND, DfsqlParser.JOIN, DfsqlParser.RACE,
            DfsqlParser.SEQ, DfsqlParser.THEN);

    private static final List<Integer> EXPRESSION_START = List.of(
            DfsqlParser.LPAREN, DfsqlParser.STRING, DfsqlParser.ESCAPE_STRING, DfsqlParser.UNICODE_STRING,
            DfsqlParser.DOLLAR_STRING, DfsqlParser.IDENT, DfsqlParser.QUOTED_IDENT, DfsqlParser.MINUS, DfsqlParser.PLUS,
            DfsqlParser.NUMBER, DfsqlParser.NULL, DfsqlParser.TRUE, DfsqlParser.FALSE, DfsqlParser.LOOP);

    /** How a token type reads in a message. */
    static String tokenName(int type) {
        return switch (type) {
            case Token.EOF -> "end of input";
            case DfsqlParser.SEQ -> "'~>'";
            case DfsqlParser.BIND -> "'|=>'";
            case DfsqlParser.JOIN -> "'&'";
            case DfsqlParser.RACE -> "'|'";
            case DfsqlParser.THEN -> "'?>'";
            case DfsqlParser.ELSE -> "'!>'";
            case DfsqlParser.LOOP -> "'@>'";
            case DfsqlParser.UNDO -> "'<->'";
            case DfsqlParser.ARROW -> "'=>'";
            case DfsqlParser.CAST -> "'::'";
            case DfsqlParser.MINUS -> "'-'";
            case DfsqlParser.PLUS -> "'+'";
            case DfsqlParser.DOT -> "'.'";
            case DfsqlParser.COMMA -> "','";
            case DfsqlParser.LPAREN -> "'('";
            case DfsqlParser.RPAREN -> "')'";
            case DfsqlParser.LBRACKET -> "'['";
            case DfsqlParser.RBRACKET -> "']'";
            case DfsqlParser.SEMI -> "';'";
            case DfsqlParser.CREATE -> "'CREATE'";
            case DfsqlParser.WORKFLOW -> "'WORKFLOW'";
            case DfsqlParser.AS -> "'AS'";
            case DfsqlParser.DEFAULT -> "'DEFAULT'";
            case DfsqlParser.NULL -> "'NULL'";
            case DfsqlParser.TRUE -> "'TRUE'";
            case DfsqlParser.FALSE -> "'FALSE'";
            case DfsqlParser.STRING, DfsqlParser.ESCAPE_STRING, DfsqlParser.UNICODE_STRING,
                 DfsqlParser.DOLLAR_STRING -> "string literal";
            case DfsqlParser.IDENT, DfsqlParser.QUOTED_IDENT -> "identifier";
            case DfsqlParser.NUMBER -> "number";
            case DfsqlParser.PARAM -> "positional parameter";
            default -> "operator";
        };
    }

    static String quote(String text) {
        StringBuilder b = new StringBuilder("'");
        int n = 0;
        for (int i = 0; i < text.length(); i++) {
            if (n == 24) {
                b.append("...");
                break;
            }
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> b.append(c);
            }
            n++;
        }
        return b.append('\'').toString();
    }

    static String describeChar(String text) {
        int cp = text.isEmpty() ? 0 : text.codePointAt(0);
        String code = String.format("U+%04X", cp);
        return Character.isISOControl(cp) || Character.isWhitespace(cp) || Character.isSurrogate(text.charAt(0))
                ? code
                : "'" + new String(Character.toChars(cp)) + "' (" + code + ")";
    }
}
