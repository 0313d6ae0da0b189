package dev.dfc.cli.report;

/** {@code --color}: auto colours diagnostics when writing to a terminal and NO_COLOR is unset. */
public enum ColorMode {
    auto, always, never;

    public boolean enabled() {
        return switch (this) {
            case always -> true;
            case never -> false;
            case auto -> System.console() != null && System.getenv("NO_COLOR") == null && !"dumb".equals(System.getenv("TERM"));
        };
    }
}
