package dev.dfc.compiler.emit;

import java.util.Locale;
import org.stringtemplate.v4.AttributeRenderer;

/** Lets templates quote through {@link SqlQuoting}: {@code «x; format="literal"»} and friends. */
final class SqlRenderer implements AttributeRenderer<String> {
    @Override
    public String toString(String value, String format, Locale locale) {
        if (format == null) return value;
        return switch (format) {
            case "literal" -> SqlQuoting.literal(value);
            case "ident" -> SqlQuoting.ident(value);
            case "comment" -> SqlQuoting.comment(value);
            default -> throw new IllegalArgumentException("unknown format \"" + format + "\" in a template");
        };
    }
}
