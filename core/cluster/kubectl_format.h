// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "common/duration_format.h"
#include "pod_row.h"

#include <QString>

namespace podtap::cluster::kubectl {

/// kubectl's short duration; one implementation for every face, in common/duration_format.h.
using podtap::humanDuration;
/// AGE of an object created at @p creationMs (`<unknown>` when not set).
QString age(qint64 creationMs, qint64 nowMs);
/// READY: `ready/total`.
QString ready(const PodRow &row);
/// One container's state as `kubectl describe pod` words it: "Running", "Waiting: CrashLoopBackOff",
/// "Terminated: OOMKilled (exit 137)", or "No status yet".
QString containerState(const PodContainer &container);
/// RESTARTS: `3`, or `3 (5m ago)` when the last restart time is known.
QString restarts(const PodRow &row, qint64 nowMs);

/// @brief Writes rows the way kubectl's tabwriter does: columns padded with three spaces, cells at
/// least 6 wide, no padding after the last column. Widths grow as wider cells arrive, so rows can
/// be printed page by page without keeping them all. Cells are escaped for the terminal
/// (escapeForTerminal): they hold text from the cluster.
class ColumnWriter final
{
public:
    explicit ColumnWriter(QStringList headers);
    /// Widens the columns for @p rows (one page) without writing them.
    void measure(const QList<QStringList> &rows);
    QString format(const QStringList &cells) const;
    QString header() const { return format(m_headers); }

private:
    QStringList m_headers;
    QList<qsizetype> m_widths;
};

} // namespace podtap::cluster::kubectl
