#!/bin/sh
# dfc launcher of the Debian package: the jar of /usr/share/dfc, C1 only for
# the short-lived commands (dfc worker runs for long and keeps C2), the
# class-data sharing archive when one was made for this JVM (see postinst).
jar=/usr/share/dfc/dfc.jar
jsa=/var/cache/dfc/dfc.jsa
worker=no
[ "${1:-}" = worker ] && worker=yes
# The JVM options are put in front of the command's arguments, last first.
# (DFC_JAVA_OPTS: more JVM options, as for ./dfc; last, so that they win)
set -- -jar "$jar" "$@"
# shellcheck disable=SC2086
[ -n "${DFC_JAVA_OPTS:-}" ] && set -- ${DFC_JAVA_OPTS} "$@"
if [ "$worker" = no ]; then
    # the serial collector, and huge pages for the heap where the kernel gives them on
    # request (madvise): as ./dfc does (docs/cli.md)
    set -- -XX:TieredStopAtLevel=1 "$@"
    # (not when DFC_JAVA_OPTS chooses a collector: the JVM refuses to start with two)
    case "${DFC_JAVA_OPTS:-}" in *-XX:+Use*GC*) ;; *) set -- -XX:+UseSerialGC "$@" ;; esac
    thp=
    [ -r /sys/kernel/mm/transparent_hugepage/enabled ] && { read -r thp < /sys/kernel/mm/transparent_hugepage/enabled || true; }
    case "$thp" in *"[madvise]"*) set -- -XX:+UseTransparentHugePages "$@" ;; esac
fi
set -- -Xshare:auto "$@"
if [ -r "$jsa" ]; then
    set -- -XX:SharedArchiveFile="$jsa" "$@"
fi
# (JVM warnings, such as an archive left from before a JDK update, to stderr: stdout is the output)
exec java -Xlog:disable -Xlog:all=warning:stderr "$@"
