// SPDX-License-Identifier: Apache-2.0
#include "receive/tunnel_port_registry.h"

#include <QHash>

namespace podtap::receive {

std::shared_ptr<VxlanReceiver> TunnelPortRegistry::acquire(const VxlanReceiver::Options &options, QString *error)
{
    // Weak references: the sessions own the receivers, the registry only finds them.
    static QHash<quint16, std::weak_ptr<VxlanReceiver>> ports;
    if (options.port != 0) {
        if (std::shared_ptr<VxlanReceiver> shared = ports.value(options.port).lock()) {
            return shared;
        }
    }
    auto receiver = std::make_shared<VxlanReceiver>();
    if (!receiver->bind(options, error)) {
        return {};
    }
    if (options.port != 0) {
        ports.insert(options.port, receiver);
    }
    return receiver;
}

} // namespace podtap::receive
