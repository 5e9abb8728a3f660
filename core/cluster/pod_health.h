// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_row.h"

namespace podtap::cluster {

/// @brief How healthy a pod looks, derived from its kubectl STATUS. The one place that maps a
/// phase/reason to a colour and an icon; widgets never test status strings themselves.
enum class PodHealth {
    Running, ///< all containers ready
    NotReady, ///< running but not every container is ready
    Pending, ///< scheduling, pulling, creating, initializing
    Completed, ///< succeeded (jobs)
    Failed, ///< crash loops, image pull failures, errors, evictions
    Terminating,
    Unknown,
};

/// @brief Presentation of a health class: a colour (0xRRGGBB, readable on light and dark themes;
/// the console turns it into a QColor, core has no GUI types), a freedesktop icon name, and a short label.
struct PodHealthStyle
{
    PodHealth health;
    quint32 rgb;
    const char *iconName;
    const char *label;
};

PodHealth podHealth(const PodRow &row);
/// The same decision from the STATUS text and the ready counts (for callers without a row).
PodHealth podHealth(const QString &status, int readyContainers, int totalContainers);
/// One container's health through the same table: its waiting/terminated reason (or ExitCode:N),
/// Running and whether it is ready, or Pending while it has no status.
PodHealth podHealth(const PodContainer &container);
const PodHealthStyle &podHealthStyle(PodHealth health);

} // namespace podtap::cluster
