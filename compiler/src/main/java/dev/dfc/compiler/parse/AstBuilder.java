package dev.dfc.compiler.parse;

import dev.dfc.compiler.ast.Arg;
import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Param;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import dev.dfc.grammar.DfsqlBaseVisitor;
import dev.dfc.grammar.DfsqlParser;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.ParserRuleContext;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.TokenStream;

/**
 * Builds the immutable AST from one statement's parse tree. Operators are desugared here into
 * {@link Expr.Call} with the canonical node function name and the operator as written; every node
 * gets the span of the source text it was built from.
 */
final class AstBuilder extends DfsqlBaseVisitor<Object> {
    private final SourceFile file;
    private final TokenStream tokens;
    private final int base;
    private final List<Diagnostic> diagnostics;

    /**
     * @param base        offset of the parsed text within {@code file} (non-zero for embedded expressions)
     * @param diagnostics where string literals that PostgreSQL would refuse are reported (DF1007)
     */
    AstBuilder(SourceFile file, TokenStream tokens, int base, List<Diagnostic> diagnostics) {
        this.file = file;
        this.tokens = tokens;
        this.base = base;
        this.diagnostics = diagnostics;
    }

    /** The statement, or null for an empty one. */
    Statement statement(DfsqlParser.StatementContext ctx) {
        if (ctx == null) return null;
        return ctx.workflowDef() != null ? workflowDef(ctx.workflowDef()) : passThrough(ctx.passThrough());
    }

    Expr expr(DfsqlParser.ExprContext ctx) {
        return (Expr) visit(ctx);
    }

    private Statement.WorkflowDef workflowDef(DfsqlParser.WorkflowDefContext ctx) {
        List<Param> params = new ArrayList<>();
        for (DfsqlParser.ParamContext p : ctx.param()) params.add(param(p));
        return new Statement.WorkflowDef(span(ctx), qualifiedName(ctx.name), span(ctx.name), params, expr(ctx.body));
    }

    private Param param(DfsqlParser.ParamContext ctx) {
        String defaultSql = ctx.defaultValue == null ? null : span(ctx.defaultValue).text();
        return new Param(span(ctx), identifier(ctx.name), span(ctx.name), typeText(ctx.type), span(ctx.type), defaultSql);
    }

    private Statement.PassThrough passThrough(DfsqlParser.PassThroughContext ctx) {
        Span span = span(ctx);
        return new Statement.PassThrough(span, span.text());
    }

    // ---- expressions ----------------------------------------------------------------------------

    @Override
    public Expr visitAtom(DfsqlParser.AtomContext ctx) {
        return (Expr) visit(ctx.primary());
    }

    @Override
    public Expr visitCast(DfsqlParser.CastContext ctx) {
        return new Expr.Cast(span(ctx), expr(ctx.expr()), typeText(ctx.typeName()));
    }

    @Override
    public Expr visitUndo(DfsqlParser.UndoContext ctx) {
        return binary(ctx, "df.with_undo", ctx.UNDO().getSymbol(), ctx.expr(0), ctx.expr(1));
    }

    @Override
    public Expr visitBind(DfsqlParser.BindContext ctx) {
        Expr value = expr(ctx.expr());
        Expr name = visitString(ctx.name);
        return call(ctx, "df.as", ctx.BIND().getSymbol(), List.of(positional(value), positional(name)));
    }

    @Override
    public Expr visitJoin(DfsqlParser.JoinContext ctx) {
        return binary(ctx, "df.join", ctx.JOIN().getSymbol(), ctx.expr(0), ctx.expr(1));
    }

    @Override
    public Expr visitRace(DfsqlParser.RaceContext ctx) {
        return binary(ctx, "df.race", ctx.RACE().getSymbol(), ctx.expr(0), ctx.expr(1));
    }

    @Override
    public Expr visitSeq(DfsqlParser.SeqContext ctx) {
        return binary(ctx, "df.seq", ctx.SEQ().getSymbol(), ctx.expr(0), ctx.expr(1));
    }

    @Override
    public Expr visitIf(DfsqlParser.IfContext ctx) {
        List<Arg> args = new ArrayList<>();
        for (DfsqlParser.ExprContext e : ctx.expr()) args.add(positional(expr(e)));
        return call(ctx, "df.if", ctx.THEN().getSymbol(), args);
    }

    @Override
    public Expr visitLoop(DfsqlParser.LoopContext ctx) {
        return call(ctx, "df.loop", ctx.LOOP().getSymbol(), List.of(positional(expr(ctx.expr()))));
    }

    @Override
    public Expr visitParenthesized(DfsqlParser.ParenthesizedContext ctx) {
        return expr(ctx.expr());
    }

    @Override
    public Expr visitStringLiteral(DfsqlParser.StringLiteralContext ctx) {
        return visitString(ctx.string());
    }

    @Override
    public Expr.Str visitString(DfsqlParser.StringContext ctx) {
        Token token = ctx.getStart();
        StringLiteral.Decoded decoded = StringLiteral.decode(token.getText());
        StringLiteral.Problem p = decoded.problem();
        if (p != null) {
            int at = base + token.getStartIndex();
            diagnostics.add(Diagnostic.error("DF1007", file.span(at + p.start(), at + Math.max(p.end(), p.start() + 1)),
                    p.message()).withHint(p.hint()));
        }
        return new Expr.Str(span(ctx), decoded.value());
    }

    @Override
    public Expr visitNodeCall(DfsqlParser.NodeCallContext ctx) {
        List<Arg> args = new ArrayList<>();
        for (DfsqlParser.ArgContext a : ctx.arg()) args.add((Arg) visit(a));
        return new Expr.Call(span(ctx), callName(ctx.callName()), span(ctx.callName()), args, null);
    }

    @Override
    public Arg visitNamedArg(DfsqlParser.NamedArgContext ctx) {
        return new Arg(span(ctx), identifier(ctx.identifier()), expr(ctx.expr()));
    }

    @Override
    public Arg visitPositionalArg(DfsqlParser.PositionalArgContext ctx) {
        return positional(expr(ctx.expr()));
    }

    @Override
    public Expr visitNumber(DfsqlParser.NumberContext ctx) {
        // unary plus changes nothing, as in PostgreSQL: +5 is 5
        String text = (ctx.MINUS() != null ? "-" : "") + ctx.NUMBER().getText();
        return new Expr.Num(span(ctx), text);
    }

    @Override
    public Expr visitNull(DfsqlParser.NullContext ctx) {
        return new Expr.Null(span(ctx));
    }

    @Override
    public Expr visitBoolean(DfsqlParser.BooleanContext ctx) {
        return new Expr.Bool(span(ctx), ctx.TRUE() != null);
    }

    private Expr binary(ParserRuleContext ctx, String function, Token operator,
                        DfsqlParser.ExprContext left, DfsqlParser.ExprContext right) {
        return call(ctx, function, operator, List.of(positional(expr(left)), positional(expr(right))));
    }

    private Expr.Call call(ParserRuleContext ctx, String function, Token operator, List<Arg> args) {
        return new Expr.Call(span(ctx), function, span(operator), args, operator.getText());
    }

    private static Arg positional(Expr value) {
        return new Arg(value.span(), null, value);
    }

    // ---- names and types --------------------------------------------------------------------------

    /** Identifier parts folded as PostgreSQL folds them, as the catalog names the workflow ({@link WorkflowName}). */
    private static String qualifiedName(DfsqlParser.QualifiedNameContext ctx) {
        List<String> parts = new ArrayList<>();
        for (DfsqlParser.IdentifierContext part : ctx.identifier()) parts.add(identifier(part));
        return WorkflowName.catalogName(parts);
    }

    /** A node function's name, folded like an identifier; keywords after a dot are plain names. */
    private static String callName(DfsqlParser.CallNameContext ctx) {
        StringBuilder b = new StringBuilder(identifier(ctx.identifier()));
        for (DfsqlParser.NamePartContext part : ctx.namePart()) b.append('.').append(foldIdentifier(part.getStart().getText()));
        return b.toString();
    }

    static String identifier(DfsqlParser.IdentifierContext ctx) {
        return foldIdentifier(ctx.getStart().getText());
    }

    /** PostgreSQL's folding: quoted identifiers keep their case, unquoted ones are lower-cased (ASCII only). */
    static String foldIdentifier(String text) {
        if (text.startsWith("\"")) {
            String body = text.length() >= 2 && text.endsWith("\"") ? text.substring(1, text.length() - 1) : text.substring(1);
            return body.replace("\"\"", "\"");
        }
        StringBuilder b = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            b.append(c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c);
        }
        return b.toString();
    }

    /** A type name as written, with any whitespace or comments between its tokens reduced to one space. */
    private String typeText(ParserRuleContext ctx) {
        StringBuilder b = new StringBuilder();
        Token previous = null;
        for (int i = ctx.getStart().getTokenIndex(); i <= ctx.getStop().getTokenIndex(); i++) {
            Token t = tokens.get(i);
            if (t.getChannel() != Token.DEFAULT_CHANNEL) continue;
            if (previous != null && previous.getStopIndex() + 1 < t.getStartIndex()) b.append(' ');
            b.append(t.getText());
            previous = t;
        }
        return b.toString();
    }

    // ---- spans ------------------------------------------------------------------------------------

    private Span span(ParserRuleContext ctx) {
        int start = ctx.getStart().getStartIndex();
        Token stop = ctx.getStop();
        int end = stop == null || stop.getTokenIndex() < ctx.getStart().getTokenIndex() ? start : stop.getStopIndex() + 1;
        return file.span(base + start, base + end);
    }

    private Span span(Token t) {
        return file.span(base + t.getStartIndex(), base + t.getStopIndex() + 1);
    }
}
