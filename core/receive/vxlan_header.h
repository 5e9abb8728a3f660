// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QtGlobal>

#include <cstdint>

namespace podtap::receive {

/// VXLAN header length (RFC 7348 section 5): flags, 24 reserved bits, 24-bit VNI, 8 reserved bits.
inline constexpr qsizetype kVxlanHeaderBytes = 8;
/// The smallest inner frame worth writing: an Ethernet header.
inline constexpr qsizetype kMinInnerFrameBytes = 14;
/// The I flag: "the VNI is valid". RFC 7348 requires it; the other flag bits are reserved and ignored on receipt.
inline constexpr quint8 kVxlanFlagVniValid = 0x08;
/// The largest VNI (24 bits).
inline constexpr std::uint32_t kMaxVni = 0xFFFFFF;

/// @brief What a VXLAN datagram carries, once its header is checked.
struct VxlanPayload
{
    bool valid = false;
    std::uint32_t vni = 0;
    const char *frame = nullptr; ///< the inner Ethernet frame (points into the datagram)
    qsizetype frameLength = 0;
};

/// Checks @p datagram (a UDP payload) as VXLAN: at least the header plus an Ethernet header, and the I flag set.
/// Never reads outside [datagram, datagram + length).
VxlanPayload parseVxlan(const char *datagram, qsizetype length);

} // namespace podtap::receive
