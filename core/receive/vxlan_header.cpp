// SPDX-License-Identifier: Apache-2.0
#include "receive/vxlan_header.h"

namespace podtap::receive {

VxlanPayload parseVxlan(const char *datagram, qsizetype length)
{
    VxlanPayload payload;
    if (!datagram || length < kVxlanHeaderBytes + kMinInnerFrameBytes) {
        return payload;
    }
    const auto *bytes = reinterpret_cast<const quint8 *>(datagram);
    if ((bytes[0] & kVxlanFlagVniValid) == 0) {
        return payload;
    }
    payload.valid = true;
    payload.vni = (std::uint32_t(bytes[4]) << 16) | (std::uint32_t(bytes[5]) << 8) | std::uint32_t(bytes[6]);
    payload.frame = datagram + kVxlanHeaderBytes;
    payload.frameLength = length - kVxlanHeaderBytes;
    return payload;
}

} // namespace podtap::receive
