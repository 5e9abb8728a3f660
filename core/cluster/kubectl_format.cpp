// SPDX-License-Identifier: Apache-2.0
#include "kubectl_format.h"

#include "common/text_escape.h"

namespace podtap::cluster::kubectl {

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
