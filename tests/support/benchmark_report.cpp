// SPDX-License-Identifier: Apache-2.0
#include "benchmark_report.h"

#include <QFile>
#include <QStringList>

#include <algorithm>

#include <unistd.h>

namespace podtap::test {

namespace {

long statusFieldKb(const char *field)
{
    QFile status(QStringLiteral("/proc/self/status"));
    if (!status.open(QIODevice::ReadOnly)) {
        return 0;
    }
    for (const QByteArray &line : status.readAll().split('\n')) {
        if (line.startsWith(field)) {
            return line.mid(qsizetype(qstrlen(field))).trimmed().split(' ').first().toLong();
        }
    }
    return 0;
}

} // namespace

namespace {

QString benchmarksPath()
{
    return qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/BENCHMARKS.md");
}

QString readBenchmarks()
{
    QFile file(benchmarksPath());
    QString text = file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
    return text.isEmpty() ? QStringLiteral("# Benchmarks\n") : text;
}

QString writeBenchmarks(const QString &text)
{
    QFile file(benchmarksPath());
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString());
    }
    file.write(text.toUtf8());
    return {};
}

/// Where the line @p heading starts in @p text at or after @p from (only at the start of a line); -1 when absent.
qsizetype lineStart(const QString &text, const QString &heading, qsizetype from)
{
    if (from == 0 && text.startsWith(heading)) {
        return 0;
    }
    const qsizetype at = text.indexOf(QLatin1Char('\n') + heading, qMax<qsizetype>(from - 1, 0));
    return at < 0 ? -1 : at + 1;
}

/// Where the next heading line starting with one of @p prefixes begins after @p from; text.size() when none.
qsizetype nextHeading(const QString &text, qsizetype from, const QStringList &prefixes)
{
    qsizetype end = text.size();
    for (const QString &prefix : prefixes) {
        const qsizetype at = text.indexOf(QLatin1Char('\n') + prefix, from);
        if (at >= 0) {
            end = qMin(end, at + 1);
        }
    }
    return end;
}

/// Ends @p block with a newline, and with a blank line when more text follows it.
QString asBlock(QString block, bool moreFollows)
{
    if (!block.endsWith(QLatin1Char('\n'))) {
        block += QLatin1Char('\n');
    }
    if (moreFollows && !block.endsWith(QLatin1String("\n\n"))) {
        block += QLatin1Char('\n');
    }
    return block;
}

/// Appends @p block at the end of @p text after one blank line.
void appendBlock(QString &text, const QString &block)
{
    if (!text.endsWith(QLatin1String("\n\n"))) {
        text += text.endsWith(QLatin1Char('\n')) ? QStringLiteral("\n") : QStringLiteral("\n\n");
    }
    text += asBlock(block, false);
}

} // namespace

QString writeBenchmarkSection(const QString &title, const QString &body)
{
    QString text = readBenchmarks();
    const QString heading = QStringLiteral("## %1\n").arg(title);
    const qsizetype from = lineStart(text, heading, 0);
    if (from < 0) {
        appendBlock(text, heading + body);
        return writeBenchmarks(text);
    }
    const qsizetype bodyFrom = from + heading.size();
    const qsizetype end = nextHeading(text, bodyFrom, {QStringLiteral("## "), QStringLiteral("### ")});
    text.replace(from, end - from, asBlock(heading + body, end < text.size()));
    return writeBenchmarks(text);
}

QString writeBenchmarkSubsection(const QString &title, const QString &subtitle, const QString &body)
{
    QString text = readBenchmarks();
    const QString heading = QStringLiteral("## %1\n").arg(title);
    const QString subheading = QStringLiteral("### %1\n").arg(subtitle);
    qsizetype from = lineStart(text, heading, 0);
    if (from < 0) {
        appendBlock(text, heading);
        from = lineStart(text, heading, 0);
    }
    const qsizetype sectionEnd = nextHeading(text, from + heading.size(), {QStringLiteral("## ")});
    const qsizetype subFrom = lineStart(text, subheading, from + heading.size());
    if (subFrom >= 0 && subFrom < sectionEnd) {
        const qsizetype subEnd =
            nextHeading(text, subFrom + subheading.size(), {QStringLiteral("## "), QStringLiteral("### ")});
        text.replace(subFrom, subEnd - subFrom, asBlock(subheading + body, subEnd < text.size()));
        return writeBenchmarks(text);
    }
    // Append at the end of the section: after its last line, one blank line, then the subsection.
    QString before = text.left(sectionEnd);
    const QString after = text.mid(sectionEnd);
    while (before.endsWith(QLatin1String("\n\n"))) {
        before.chop(1);
    }
    appendBlock(before, subheading + body);
    text = after.isEmpty() ? before : before + QLatin1Char('\n') + after;
    return writeBenchmarks(text);
}

long selfRssKb()
{
    return statusFieldKb("VmRSS:");
}

long selfPeakRssKb()
{
    return statusFieldKb("VmHWM:");
}

double processCpuSeconds(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        return -1;
    }
    const QByteArray stat = file.readAll();
    // The command name in parentheses may hold spaces; the fields after it start at field 3 (state), and
    // utime and stime are fields 14 and 15.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13) {
        return -1;
    }
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) / double(::sysconf(_SC_CLK_TCK));
}

QString processName(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/comm").arg(pid));
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll().trimmed()) : QString();
}

QString loadAverage()
{
    QFile file(QStringLiteral("/proc/loadavg"));
    return file.open(QIODevice::ReadOnly) ? QString::fromLatin1(file.readAll().split(' ').value(0))
                                          : QStringLiteral("?");
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

} // namespace podtap::test
