package dev.dfc.compiler.parse;

/**
 * A thread created with a known stack size. Work that needs a large stack (the parser recurses
 * once per nesting level) runs directly on such a thread when the stack is large enough, instead
 * of on a thread of its own: creating a thread per file is a large part of checking many small files.
 */
public final class LargeStackThread extends Thread {
    private final long stackBytes;

    public LargeStackThread(Runnable work, String name, long stackBytes) {
        super(null, work, name, stackBytes);
        this.stackBytes = stackBytes;
    }

    /**
     * Whether the current thread is a {@code LargeStackThread} with at least twice {@code bytes}
     * of stack. Callers are near the bottom of that stack, so at least {@code bytes} are left:
     * as much as a thread of {@code bytes} would have had.
     */
    static boolean currentHasAtLeast(long bytes) {
        return Thread.currentThread() instanceof LargeStackThread t && t.stackBytes / 2 >= bytes;
    }
}
