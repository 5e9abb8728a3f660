// SPDX-License-Identifier: Apache-2.0
#include "benchmark_report.h"

#include <QFile>

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

QString writeBenchmarkSection(const QString &title, const QString &body)
{
    const QString path = qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/BENCHMARKS.md");
    QFile file(path);
    QString text;
    if (file.open(QIODevice::ReadOnly)) {
        text = QString::fromUtf8(file.readAll());
        file.close();
    }
    if (text.isEmpty()) {
        text = QStringLiteral("# Benchmarks\n");
    }
    const QString heading = QStringLiteral("## %1\n").arg(title);
    QString section = heading + body;
    if (!section.endsWith(QLatin1Char('\n'))) {
        section += QLatin1Char('\n');
    }
    const qsizetype start = text.startsWith(heading) ? 0 : text.indexOf(QLatin1Char('\n') + heading);
    if (start >= 0) {
        const qsizetype from = text.startsWith(heading) ? 0 : start + 1;
        qsizetype end = text.indexOf(QStringLiteral("\n## "), from + heading.size());
        end = end < 0 ? text.size() : end + 1;
        // Keep one blank line before the next section.
        if (end < text.size() && !section.endsWith(QLatin1String("\n\n"))) {
            section += QLatin1Char('\n');
        }
        text.replace(from, end - from, section);
    } else {
        if (!text.endsWith(QLatin1String("\n\n"))) {
            text += text.endsWith(QLatin1Char('\n')) ? QStringLiteral("\n") : QStringLiteral("\n\n");
        }
        text += section;
    }
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    }
    file.write(text.toUtf8());
    return {};
}

long selfRssKb()
{
    return statusFieldKb("VmRSS:");
}

long selfPeakRssKb()
{
    return statusFieldKb("VmHWM:");
}

} // namespace podtap::test
