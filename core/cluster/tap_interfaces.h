// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_row.h"

#include <QList>
#include <QString>

namespace podtap::cluster {

/// @brief One interface of a pod as a tap offers it; kinds without a kernel netdev are listed but
/// not tappable, with the reason.
struct TapInterface
{
    QString name; ///< eth0, net1, ...
    QString description; ///< e.g. "macvlan · 192.0.2.7 · default/macvlan-conf"
    bool tappable = true;
    QString reason; ///< why it cannot be tapped, when !tappable

    bool operator==(const TapInterface &) const = default;
};

/// The interfaces @p row offers for tapping: the ones of its network-status annotation, and eth0
/// (first) when the annotation does not name it, since every pod has its primary interface.
/// Every face (console, podtapctl, extcap) asks here which interfaces can be tapped.
QList<TapInterface> tapInterfaces(const PodRow &row);

} // namespace podtap::cluster
