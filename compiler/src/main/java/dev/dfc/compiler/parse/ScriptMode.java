package dev.dfc.compiler.parse;

import dev.dfc.compiler.ast.Expr;
import dev.dfc.compiler.ast.Script;
import dev.dfc.compiler.ast.Statement;
import dev.dfc.compiler.diag.Diagnostic;
import dev.dfc.compiler.source.SourceFile;
import dev.dfc.compiler.source.Span;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Script mode (LANGUAGE.md §1): turns the workflow expression of each {@code df.start(<expr>, …)}
 * and {@code df.explain(<expr>)} call in pass-through SQL into an anonymous workflow, and the call
 * into one that names it.
 *
 * <p>The result is an ordinary AST: each anonymous workflow is a {@link Statement.WorkflowDef}
 * (flagged {@code scriptMode}) placed just before the first pass-through statement that uses it,
 * so the checker, lowering and emitter treat it like a named workflow, and the statement carries
 * {@link Statement.Rewrite}s for the emitter. Inside a transaction block the script opens itself
 * ({@code BEGIN; … COMMIT;}), the workflow goes before the block instead, so its deployment's own
 * transaction neither commits nor joins the script's. The name is {@code anon_} and 12 hex characters of
 * the SHA-256 of the expression's text, so the same text gets the same name in any file and in
 * any compilation; a workflow used several times is defined once per compilation.
 *
 * <p>Named workflows are placed the same way (LANGUAGE.md §6): a {@code CREATE WORKFLOW} that a
 * statement before it starts or explains by name moves to just before that statement (possibly
 * into an earlier file's script), so the deployment exists when the statement runs.
 */
public final class ScriptMode {
    private static final String PREFIX = "anon_";

    private ScriptMode() {}

    /** The scripts with script-mode calls expanded, and the problems found in those calls. */
    public record Expansion(List<Script> scripts, List<Diagnostic> diagnostics) {
        public Expansion {
            scripts = List.copyOf(scripts);
            diagnostics = List.copyOf(diagnostics);
        }
    }

    public static Expansion expand(List<Script> scripts) {
        Set<String> defined = new HashSet<>(); // membership only: never iterated
        // the first definition of each named workflow, which goes where it is defined or, if a
        // statement before it starts or explains it by name, just before that statement
        Map<String, Statement.WorkflowDef> named = new HashMap<>(); // looked up only: never iterated
        Set<Statement.WorkflowDef> placed = Collections.newSetFromMap(new IdentityHashMap<>()); // membership only
        for (Script script : scripts) {
            for (Statement st : script.statements()) {
                if (st instanceof Statement.WorkflowDef wf && !wf.scriptMode()) named.putIfAbsent(wf.name(), wf);
            }
        }
        List<Diagnostic> diagnostics = new ArrayList<>();
        List<Script> out = new ArrayList<>();
        for (Script script : scripts) {
            List<Statement> statements = new ArrayList<>();
            int blockStart = -1; // index of the script's own BEGIN while its transaction block is open
            for (Statement st : script.statements()) {
                if (st instanceof Statement.PassThrough p) {
                    Needs needs = new Needs(defined, named, placed);
                    int inserted = passThrough(script.file(), p, needs, statements, blockStart, diagnostics);
                    if (blockStart >= 0) blockStart += inserted;
                    switch (ScriptCalls.transactionControl(p.sql())) {
                        case OPEN -> {
                            if (blockStart < 0) blockStart = statements.size() - 1;
                        }
                        case CLOSE -> blockStart = -1;
                        default -> { }
                    }
                } else if (!(st instanceof Statement.WorkflowDef wf) || placed.add(wf)) {
                    statements.add(st); // a workflow placed earlier, before a statement that needs it, is not repeated
                }
            }
            out.add(new Script(script.file(), statements));
        }
        return new Expansion(out, diagnostics);
    }

    /** The anonymous workflow name for an expression's text. */
    public static String anonymousName(String expressionText) {
        String text = expressionText.replace("\r\n", "\n");
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            StringBuilder name = new StringBuilder(PREFIX);
            for (int i = 0; i < 6; i++) name.append(String.format("%02x", hash[i] & 0xff));
            return name.toString();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /**
     * What a compilation has deployed so far: the anonymous workflows defined, and the named ones
     * placed; {@code named} holds the first definition of each workflow name.
     */
    private record Needs(Set<String> defined, Map<String, Statement.WorkflowDef> named,
            Set<Statement.WorkflowDef> placed) {
        /** The definition a call by name needs, if it is defined later and not yet placed, else null. */
        Statement.WorkflowDef unplaced(String literal) {
            Statement.WorkflowDef wf = named.get(literal);
            if (wf == null) wf = named.get(canonicalName(literal));
            return wf == null || placed.contains(wf) ? null : wf;
        }
    }

    /**
     * Adds the statement, rewritten, to {@code statements}, and before it (or, inside the script's
     * own transaction block, before the block's BEGIN at {@code blockStart}, so that the deployment
     * does not commit the script's transaction) the workflows it is the first to need: the
     * anonymous workflows of its expressions, and the named workflows it starts or explains by
     * name that are defined after it. Returns how many workflows were inserted at {@code blockStart}.
     */
    private static int passThrough(SourceFile file, Statement.PassThrough p, Needs needs,
            List<Statement> statements, int blockStart, List<Diagnostic> diagnostics) {
        int inserted = 0;
        int base = p.span().start();
        List<Statement.Rewrite> rewrites = new ArrayList<>();
        for (ScriptCalls.Call call : ScriptCalls.find(p.sql())) {
            if (call.kind() == ScriptCalls.Kind.NAME) {
                String literal = p.sql().substring(call.argStart(), call.argEnd());
                Statement.WorkflowDef wf = needs.unplaced(StringLiteral.decode(literal).value());
                if (wf != null) {
                    needs.placed().add(wf);
                    if (blockStart >= 0) statements.add(blockStart + inserted++, wf);
                    else statements.add(wf);
                }
                continue;
            }
            // df.explain(v_id) explains an instance whose id is known at run time: not a workflow expression
            if (call.kind() == ScriptCalls.Kind.RUNTIME_VALUE && call.function().equals("df.explain")) continue;
            if (call.kind() == ScriptCalls.Kind.RUNTIME_VALUE) {
                diagnostics.add(runtimeValue(file, base, call));
                continue;
            }
            if (call.context() == ScriptCalls.Context.SINGLE_QUOTED_BODY) {
                diagnostics.add(Diagnostic.error("DF6002", file.span(base + call.nameStart(), base + call.nameEnd()),
                                "cannot compile a workflow expression inside a single-quoted function body")
                        .withHint("write the body dollar-quoted (AS $$ … $$ or DO $$ … $$), where the call can be rewritten"));
                continue;
            }
            int start = base + call.argStart();
            int end = base + call.argEnd();
            Parser.ExpressionResult parsed = Parser.parseExpression(file, start, end);
            diagnostics.addAll(parsed.diagnostics());
            if (parsed.expr() == null) continue;
            String name = anonymousName(file.text().substring(start, end));
            if (needs.defined().add(name)) {
                Span span = file.span(start, end);
                Expr body = parsed.expr();
                Statement.WorkflowDef anonymous = new Statement.WorkflowDef(span, name, span, List.of(), body, true);
                if (blockStart >= 0) statements.add(blockStart + inserted++, anonymous);
                else statements.add(anonymous);
            }
            rewrites.add(new Statement.Rewrite(call.argStart(), call.argEnd(), name));
        }
        statements.add(new Statement.PassThrough(p.span(), p.sql(), rewrites, p.copyData()));
        return inserted;
    }

    /**
     * A workflow name as written in a call ({@code 'etl.Ingest'}, {@code '"My Flow"'}) read as
     * PostgreSQL reads identifiers (unquoted parts folded to lower case, quoted parts kept), as
     * the catalog names it ({@link WorkflowName}).
     */
    static String canonicalName(String written) {
        List<String> parts = new ArrayList<>();
        StringBuilder part = new StringBuilder();
        int i = 0;
        while (i < written.length()) {
            char c = written.charAt(i);
            if (c == '"') {
                int k = i + 1;
                while (k < written.length()) {
                    if (written.charAt(k) == '"' && k + 1 < written.length() && written.charAt(k + 1) == '"') {
                        part.append('"');
                        k += 2;
                    } else if (written.charAt(k) == '"') {
                        break;
                    } else {
                        part.append(written.charAt(k++));
                    }
                }
                i = k + 1;
            } else if (c == '.') {
                parts.add(part.toString());
                part.setLength(0);
                i++;
            } else {
                part.append(Character.toLowerCase(c));
                i++;
            }
        }
        parts.add(part.toString());
        return WorkflowName.catalogName(parts);
    }

    private static Diagnostic runtimeValue(SourceFile file, int base, ScriptCalls.Call call) {
        String how = call.culprit().equals("'||'") ? "is built with '||'"
                : call.culprit().endsWith("()") ? "is built with " + call.culprit()
                : "uses " + call.culprit() + ", a value known only at run time";
        String byName = call.function().equals("df.start")
                ? "df.start('name', args => '{…}'); a name held in a variable is passed as df.start(workflow => v_name)"
                : "df.explain('name')";
        return Diagnostic.error("DF6001", file.span(base + call.culpritStart(), base + call.culpritEnd()),
                        "the workflow expression given to " + call.function() + " " + how
                                + ", so it cannot be compiled ahead of time")
                .withHint("define the workflow with CREATE WORKFLOW (parameters for what varies) and start it by name: "
                        + byName);
    }
}
