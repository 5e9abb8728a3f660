// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "receive/vxlan_receiver.h"

#include <QString>

#include <memory>

namespace podtap::receive {

/// @brief Hands out one VxlanReceiver per UDP port, so sessions tapping through the same port share its socket
/// and are demultiplexed by sender and VNI.
///
/// A receiver lives while a session holds it; the last release closes the port. Main thread only.
class TunnelPortRegistry final
{
public:
    /// The receiver bound to @p options.port, binding it first when nobody holds it. Port 0 always binds a new
    /// receiver on a free port. Returns null with @p error set when the port cannot be bound; the options of a
    /// later caller are ignored for a port already bound.
    static std::shared_ptr<VxlanReceiver> acquire(const VxlanReceiver::Options &options, QString *error);
};

} // namespace podtap::receive
