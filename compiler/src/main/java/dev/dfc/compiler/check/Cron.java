package dev.dfc.compiler.check;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.Month;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Cron expressions of {@code df.wait_for_schedule}, with Vixie cron's rules (those of pg_cron):
 * five fields (minute hour day-of-month month day-of-week), {@code *}, numbers, ranges
 * {@code a-b}, lists {@code a,b}, steps {@code *}{@code /n} and {@code a-b/n}, month and day names,
 * day-of-week 7 meaning Sunday, and the macros {@code @hourly} … {@code @yearly}.
 *
 * <p>{@link Schedule#next} is the reference for the runtime, which must compute the same fire times
 * in SQL: test-corpus/cron/cases.tsv holds the cases both implementations are tested against, and
 * docs/language.md ("Schedules") states the rules in words.
 */
public final class Cron {
    /** A problem in an expression; {@code start}/{@code end} are offsets in the expression text. */
    public record Error(String message, int start, int end, String hint) {}

    /** Either a schedule or an error. */
    public record Result(Schedule schedule, Error error) {}

    private record Field(String name, int min, int max, List<String> names, int nameBase) {}

    private static final List<Field> FIELDS = List.of(
            new Field("minute", 0, 59, List.of(), 0),
            new Field("hour", 0, 23, List.of(), 0),
            new Field("day-of-month", 1, 31, List.of(), 0),
            new Field("month", 1, 12,
                    List.of("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1),
            new Field("day-of-week", 0, 7, List.of("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), 0));

    /** pg_cron's (Vixie cron's) macros; @reboot has no meaning for a workflow. */
    private static final Map<String, String> MACROS = Map.of(
            "@yearly", "0 0 1 1 *",
            "@annually", "0 0 1 1 *",
            "@monthly", "0 0 1 * *",
            "@weekly", "0 0 * * 0",
            "@daily", "0 0 * * *",
            "@midnight", "0 0 * * *",
            "@hourly", "0 * * * *");

    /** How far {@link Schedule#next} looks: Feb 29 can be eight years from the previous one (2096, 2104). */
    private static final int HORIZON_YEARS = 9;

    private Cron() {}

    /** Parses an expression; never throws. */
    public static Result parse(String text) {
        String trimmed = text.strip();
        if (trimmed.isEmpty()) {
            return error("cron expression is empty", 0, text.length(), "write five fields, e.g. '0 3 * * *' (03:00 every day)");
        }
        if (trimmed.startsWith("@")) {
            int at = text.indexOf('@');
            String macro = MACROS.get(trimmed.toLowerCase(Locale.ROOT));
            if (macro != null) return parse(macro);
            if (trimmed.equalsIgnoreCase("@reboot")) {
                return error("cron macro '@reboot' never fires in a workflow", at, at + trimmed.length(), null);
            }
            return error("unknown cron macro '" + trimmed + "'", at, at + trimmed.length(),
                    "use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly");
        }
        int[] starts = new int[6];
        int[] ends = new int[6];
        int count = 0;
        int p = 0;
        while (p < text.length()) {
            while (p < text.length() && Character.isWhitespace(text.charAt(p))) p++;
            if (p >= text.length()) break;
            int s = p;
            while (p < text.length() && !Character.isWhitespace(text.charAt(p))) p++;
            if (count < 6) {
                starts[count] = s;
                ends[count] = p;
            }
            count++;
        }
        if (count != 5) {
            String hint = "the fields are minute hour day-of-month month day-of-week, e.g. '0 3 * * *'";
            if (count == 6) hint = "a seconds field is not supported: cron fires at most once a minute";
            if (count == 2 && text.substring(ends[0]).strip().toLowerCase(Locale.ROOT).startsWith("second")) {
                hint = "pg_cron's 'N seconds' schedules are not supported; use df.sleep(N) in a loop";
            }
            return error("cron expression has " + count + (count == 1 ? " field" : " fields") + ", expected 5",
                    0, text.length(), hint);
        }
        BitSet[] sets = new BitSet[5];
        for (int f = 0; f < 5; f++) {
            BitSet set = new BitSet();
            Error e = field(FIELDS.get(f), text, starts[f], ends[f], set);
            if (e != null) return new Result(null, e);
            sets[f] = set;
        }
        if (sets[4].get(7)) {
            sets[4].clear(7);
            sets[4].set(0);
        }
        Schedule schedule = new Schedule(sets[0], sets[1], sets[2], sets[3], sets[4],
                text.charAt(starts[2]) == '*', text.charAt(starts[4]) == '*');
        if (!schedule.someDayMatches()) {
            return error("cron expression never fires: no month it allows has any day-of-month it allows",
                    starts[2], ends[3], "February has at most 29 days; April, June, September and November 30");
        }
        return new Result(schedule, null);
    }

    private static Result error(String message, int start, int end, String hint) {
        return new Result(null, new Error(message, start, end, hint));
    }

    /** Parses one field text[start, end) into {@code set}; returns the first error or null. */
    private static Error field(Field field, String text, int start, int end, BitSet set) {
        int p = start;
        while (true) {
            int comma = text.indexOf(',', p);
            int elementEnd = comma < 0 || comma > end ? end : comma;
            Error e = element(field, text, p, elementEnd, set);
            if (e != null) return e;
            if (elementEnd == end) return null;
            p = elementEnd + 1;
        }
    }

    private static Error element(Field field, String text, int start, int end, BitSet set) {
        if (start == end) return fieldError(field, "empty list element", Math.max(0, start - 1), Math.min(text.length(), start + 1), null);
        int slash = text.indexOf('/', start);
        int baseEnd = slash < 0 || slash >= end ? end : slash;
        int step = 1;
        if (baseEnd < end) {
            String stepText = text.substring(baseEnd + 1, end);
            if (!isDigits(stepText)) {
                return fieldError(field, "step '" + stepText + "' is not a number", baseEnd + 1, Math.max(end, baseEnd + 1), null);
            }
            step = number(stepText);
            if (step == 0) return fieldError(field, "step must be positive, found 0", baseEnd + 1, end, null);
        }
        int low;
        int high;
        if (baseEnd - start == 1 && text.charAt(start) == '*') {
            low = field.min();
            high = field.max();
        } else {
            int dash = text.indexOf('-', start);
            if (dash >= 0 && dash < baseEnd) {
                int[] a = new int[1];
                int[] b = new int[1];
                Error e = value(field, text, start, dash, a);
                if (e == null) e = value(field, text, dash + 1, baseEnd, b);
                if (e != null) return e;
                if (a[0] > b[0]) {
                    return fieldError(field, "range " + text.substring(start, baseEnd) + " is reversed", start, baseEnd,
                            field.name().equals("day-of-week") && b[0] == 0 ? "7 is Sunday too: write " + a[0] + "-7" : null);
                }
                low = a[0];
                high = b[0];
            } else {
                int[] a = new int[1];
                Error e = value(field, text, start, baseEnd, a);
                if (e != null) return e;
                if (baseEnd < end) {
                    return fieldError(field, "a step needs a range or '*' before it", start, end,
                            "write '" + text.substring(start, baseEnd) + "-" + field.max() + text.substring(baseEnd, end)
                                    + "' or '*" + text.substring(baseEnd, end) + "'");
                }
                low = a[0];
                high = a[0];
            }
        }
        for (int v = low; v <= high; v += step) set.set(v);
        return null;
    }

    /** One number or name in text[start, end) into out[0]. */
    private static Error value(Field field, String text, int start, int end, int[] out) {
        String v = text.substring(start, end);
        if (v.isEmpty()) return fieldError(field, "missing value in '" + spanText(text, start, end) + "'", Math.max(0, start - 1), Math.min(text.length(), end + 1), null);
        if (isDigits(v)) {
            int n = v.length() > 9 ? Integer.MAX_VALUE : number(v);
            if (n < field.min() || n > field.max()) {
                return fieldError(field, v + " is out of range " + field.min() + "-" + field.max(), start, end, null);
            }
            out[0] = n;
            return null;
        }
        int named = field.names().indexOf(v.toUpperCase(Locale.ROOT));
        if (named >= 0) {
            out[0] = named + field.nameBase();
            return null;
        }
        String what = field.names().isEmpty() ? "a number" : "a number or " + (field.nameBase() == 1 ? "month" : "day") + " name";
        String hint = null;
        if (v.equals("?") || v.equalsIgnoreCase("L") || v.contains("#") || v.endsWith("W") || v.equals("$")) {
            hint = "Quartz-style '?', 'L', 'W', '#' and pg_cron's '$' are not supported";
        } else if (!field.names().isEmpty()) {
            hint = "names are " + field.names().get(0) + " to " + field.names().get(field.names().size() - 1);
        }
        return fieldError(field, "'" + v + "' is not " + what, start, end, hint);
    }

    private static String spanText(String text, int start, int end) {
        return text.substring(Math.max(0, start - 1), Math.min(text.length(), end + 1));
    }

    private static Error fieldError(Field field, String detail, int start, int end, String hint) {
        return new Error("invalid cron " + field.name() + ": " + detail, start, end, hint);
    }

    private static boolean isDigits(String s) {
        if (s.isEmpty()) return false;
        for (int i = 0; i < s.length(); i++) if (s.charAt(i) < '0' || s.charAt(i) > '9') return false;
        return true;
    }

    private static int number(String digits) {
        return digits.length() > 9 ? Integer.MAX_VALUE : Integer.parseInt(digits);
    }

    /**
     * A parsed expression. Day-of-week uses 0-6 with 0 for Sunday. {@code domStar}/{@code dowStar}:
     * the field begins with '*', which (as in Vixie cron) makes the day rule "both match" instead
     * of "either matches".
     */
    public static final class Schedule {
        private final BitSet minutes;
        private final BitSet hours;
        private final BitSet days;
        private final BitSet months;
        private final BitSet weekdays;
        private final boolean domStar;
        private final boolean dowStar;

        Schedule(BitSet minutes, BitSet hours, BitSet days, BitSet months, BitSet weekdays, boolean domStar, boolean dowStar) {
            this.minutes = minutes;
            this.hours = hours;
            this.days = days;
            this.months = months;
            this.weekdays = weekdays;
            this.domStar = domStar;
            this.dowStar = dowStar;
        }

        /** Whether the schedule fires on this (local) date. */
        public boolean matchesDay(LocalDate date) {
            if (!months.get(date.getMonthValue())) return false;
            boolean dom = days.get(date.getDayOfMonth());
            boolean dow = weekdays.get(date.getDayOfWeek() == DayOfWeek.SUNDAY ? 0 : date.getDayOfWeek().getValue());
            return domStar || dowStar ? dom && dow : dom || dow;
        }

        /**
         * The first fire time strictly after {@code after}, in its zone, or empty when there is none
         * within nine years. A fire time is a local minute matching the expression, turned into an
         * instant as PostgreSQL's {@code timestamp AT TIME ZONE zone} does: a local time skipped by
         * a DST change counts as the same time before the change (02:30 becomes 03:30 daylight
         * time), a repeated local time as its later occurrence (standard time). Each matching local
         * minute thus fires once.
         */
        public Optional<ZonedDateTime> next(ZonedDateTime after) {
            ZoneId zone = after.getZone();
            // local times up to 3 hours before 'after' can still map to instants after it (DST)
            LocalDateTime start = after.toLocalDateTime().truncatedTo(ChronoUnit.MINUTES).minusHours(3);
            LocalDate last = start.toLocalDate().plusYears(HORIZON_YEARS);
            for (LocalDate day = start.toLocalDate(); !day.isAfter(last); day = day.plusDays(1)) {
                if (!matchesDay(day)) continue;
                for (int h = hours.nextSetBit(0); h >= 0; h = hours.nextSetBit(h + 1)) {
                    for (int m = minutes.nextSetBit(0); m >= 0; m = minutes.nextSetBit(m + 1)) {
                        LocalDateTime local = day.atTime(h, m);
                        if (local.isBefore(start)) continue;
                        ZonedDateTime at = ZonedDateTime.ofLocal(local, zone, null).withLaterOffsetAtOverlap();
                        if (at.toInstant().isAfter(after.toInstant())) return Optional.of(at);
                    }
                }
            }
            return Optional.empty();
        }

        /** False when no allowed month has an allowed day (e.g. '0 0 30 2 *'), so the schedule never fires. */
        boolean someDayMatches() {
            if (!(domStar || dowStar)) return true; // either rule: any allowed weekday is enough
            for (int m = months.nextSetBit(1); m >= 0; m = months.nextSetBit(m + 1)) {
                int longest = Month.of(m).maxLength();
                if (days.nextSetBit(1) >= 0 && days.nextSetBit(1) <= longest && !weekdays.isEmpty()) return true;
            }
            return false;
        }
    }
}
