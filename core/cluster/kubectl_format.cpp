// SPDX-License-Identifier: Apache-2.0
#include "kubectl_format.h"

#include "common/text_escape.h"

namespace podtap::cluster::kubectl {

QString humanDuration(qint64 ms)
{
    const qint64 seconds = ms / 1000;
    if (seconds < -1) {
        return QStringLiteral("<invalid>");
    }
    if (seconds < 0) {
        return QStringLiteral("0s");
    }
    if (seconds < 60 * 2) {
        return QStringLiteral("%1s").arg(seconds);
    }
    const qint64 minutes = seconds / 60;
    if (minutes < 10) {
        const qint64 s = seconds % 60;
        return s == 0 ? QStringLiteral("%1m").arg(minutes) : QStringLiteral("%1m%2s").arg(minutes).arg(s);
    }
    if (minutes < 60 * 3) {
        return QStringLiteral("%1m").arg(minutes);
    }
    const qint64 hours = minutes / 60;
    if (hours < 8) {
        const qint64 m = minutes % 60;
        return m == 0 ? QStringLiteral("%1h").arg(hours) : QStringLiteral("%1h%2m").arg(hours).arg(m);
    }
    if (hours < 48) {
        return QStringLiteral("%1h").arg(hours);
    }
    if (hours < 24 * 8) {
        const qint64 h = hours % 24;
        return h == 0 ? QStringLiteral("%1d").arg(hours / 24) : QStringLiteral("%1d%2h").arg(hours / 24).arg(h);
    }
    if (hours < 24 * 365 * 2) {
        return QStringLiteral("%1d").arg(hours / 24);
    }
    if (hours < 24 * 365 * 8) {
        const qint64 dy = (hours / 24) % 365;
        return dy == 0 ? QStringLiteral("%1y").arg(hours / 24 / 365)
                       : QStringLiteral("%1y%2d").arg(hours / 24 / 365).arg(dy);
    }
    return QStringLiteral("%1y").arg(hours / 24 / 365);
}

QString age(qint64 creationMs, qint64 nowMs)
{
    if (creationMs == 0) {
        return QStringLiteral("<unknown>");
    }
    return humanDuration(nowMs - creationMs);
}

QString ready(const PodRow &row)
{
    return QStringLiteral("%1/%2").arg(row.readyContainers).arg(row.totalContainers);
}

QString restarts(const PodRow &row, qint64 nowMs)
{
    if (row.restarts != 0 && row.lastRestartMs != 0) {
        return QStringLiteral("%1 (%2 ago)").arg(row.restarts).arg(humanDuration(nowMs - row.lastRestartMs));
    }
    return QString::number(row.restarts);
}

ColumnWriter::ColumnWriter(QStringList headers)
    : m_headers(std::move(headers))
{
    for (const QString &header : std::as_const(m_headers)) {
        m_widths << header.size();
    }
}

void ColumnWriter::measure(const QList<QStringList> &rows)
{
    for (const QStringList &row : rows) {
        for (qsizetype i = 0; i < row.size() && i < m_widths.size(); ++i) {
            m_widths[i] = std::max(m_widths[i], escapeForTerminal(row[i]).size());
        }
    }
}

QString ColumnWriter::format(const QStringList &cells) const
{
    QString line;
    for (qsizetype i = 0; i < cells.size(); ++i) {
        // Cells come from the cluster: a newline, tab or escape sequence in one must not reach the terminal.
        const QString cell = escapeForTerminal(cells[i]);
        if (i + 1 == cells.size() || i >= m_widths.size()) {
            line += cell;
            break;
        }
        // kubectl's tabwriter: minwidth 6, padding 3
        const qsizetype width = std::max<qsizetype>(m_widths[i] + 3, 6);
        line += cell.leftJustified(width, QLatin1Char(' '));
    }
    return line;
}

QString containerState(const PodContainer &container)
{
    if (container.state == PodContainer::State::Unknown) {
        return QStringLiteral("No status yet");
    }
    const QString state = containerStateName(container.state);
    QString text = container.reason.isEmpty() ? state : QStringLiteral("%1: %2").arg(state, container.reason);
    if (container.state == PodContainer::State::Terminated) {
        text += QStringLiteral(" (exit %1)").arg(container.exitCode);
    }
    return text;
}

} // namespace podtap::cluster::kubectl
