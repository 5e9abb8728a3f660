// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QString>

namespace podtap::test {

/// Replaces the `## <title>` section of the source tree's BENCHMARKS.md with @p body (everything
/// under the heading, up to the next `## `), or appends the section when it is not there yet; other
/// sections are left as they are. Returns an empty string, or why the file could not be written.
QString writeBenchmarkSection(const QString &title, const QString &body);

/// This process's resident set now and at its peak (VmRSS, VmHWM), in KiB; 0 when unknown.
long selfRssKb();
long selfPeakRssKb();

} // namespace podtap::test
