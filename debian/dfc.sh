#!/bin/sh
# dfc launcher of the Debian package: the jar of /usr/share/dfc, C1 only for
# the short-lived commands (dfc worker runs for long and keeps C2), the
# class-data sharing archive when one was made for this JVM (see postinst).
jar=/usr/share/dfc/dfc.jar
jsa=/var/cache/dfc/dfc.jsa
if [ "${1:-}" = worker ]; then
    set -- -Xshare:auto -jar "$jar" "$@"
else
    # the serial collector, and huge pages for the heap where the kernel gives them on
    # request (madvise): as ./dfc does (docs/cli.md)
    set -- -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -jar "$jar" "$@"
    thp=
    [ -r /sys/kernel/mm/transparent_hugepage/enabled ] && read -r thp < /sys/kernel/mm/transparent_hugepage/enabled
    case "$thp" in *"[madvise]"*) set -- -XX:+UseTransparentHugePages "$@" ;; esac
fi
# (JVM warnings, such as an archive left from before a JDK update, to stderr: stdout is the output)
set -- -Xlog:disable -Xlog:all=warning:stderr "$@"
if [ -r "$jsa" ]; then
    set -- -XX:SharedArchiveFile="$jsa" "$@"
fi
# (DFC_JAVA_OPTS: more JVM options, as for ./dfc)
exec java ${DFC_JAVA_OPTS:-} "$@"
