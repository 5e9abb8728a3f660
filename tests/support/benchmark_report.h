// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QList>
#include <QString>

namespace podtap::test {

/// Replaces the lead of the `## <title>` section of the source tree's BENCHMARKS.md with @p body (everything
/// under the heading up to its first `### ` subsection, or up to the next `## `), or appends the section when it
/// is not there yet. The section's `### ` subsections and the other sections are left as they are, so a benchmark
/// that writes a subsection and one that writes the section's lead do not erase each other. Returns an empty
/// string, or why the file could not be written.
QString writeBenchmarkSection(const QString &title, const QString &body);

/// Replaces the `### <subtitle>` subsection of the `## <title>` section with @p body (up to the next `### ` or
/// `## `), or appends it at the end of that section; creates the section (with an empty lead) when it is missing.
QString writeBenchmarkSubsection(const QString &title, const QString &subtitle, const QString &body);

/// This process's resident set now and at its peak (VmRSS, VmHWM), in KiB; 0 when unknown.
long selfRssKb();
long selfPeakRssKb();

/// User + system CPU time of process @p pid so far (all its threads), in seconds; -1 when unknown.
double processCpuSeconds(qint64 pid);
/// The command name of process @p pid (/proc/<pid>/comm, at most 15 characters); empty when unknown.
QString processName(qint64 pid);
/// The one-minute load average, as /proc/loadavg prints it ("?" when unknown).
QString loadAverage();
/// The middle value (the upper one of the two middle values for an even count); 0 for none.
double median(QList<double> values);

} // namespace podtap::test
