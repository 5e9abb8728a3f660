// SPDX-License-Identifier: Apache-2.0
#pragma once

// The pcapng block layout (IETF draft-ietf-opsawg-pcapng) in one place, in plain C++ with no Qt, so the
// static node agent and the console encode the same bytes. Host byte order, as the section header's byte
// order magic declares it.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace podtap::pcapng {

/// Wireshark's limit for one block read from a pipe is 256 KiB (262,144 bytes); every block encoded here is
/// strictly smaller.
inline constexpr std::uint32_t kMaxBlockBytes = 262144 - 4;
/// The largest snaplen an interface may have so that an EPB with its options stays under kMaxBlockBytes.
inline constexpr std::uint32_t kMaxSnaplen = kMaxBlockBytes - 64;
/// Text options and names are cut here: far above any Kubernetes name, far below the 16-bit option length.
inline constexpr std::size_t kMaxTextBytes = 4096;

inline constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
inline constexpr std::uint32_t kInterfaceDescriptionBlock = 0x00000001;
inline constexpr std::uint32_t kNameResolutionBlock = 0x00000004;
inline constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
inline constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
inline constexpr std::uint16_t kOptEndOfOptions = 0;
inline constexpr std::uint16_t kOptShbUserAppl = 4;
inline constexpr std::uint16_t kOptIfName = 2;
inline constexpr std::uint16_t kOptIfDescription = 3;
inline constexpr std::uint16_t kOptIfTsresol = 9;
inline constexpr std::uint16_t kOptEpbFlags = 2;
inline constexpr std::uint16_t kNrbEnd = 0;
inline constexpr std::uint16_t kNrbIpv4 = 1;
inline constexpr std::uint16_t kNrbIpv6 = 2;
inline constexpr std::uint16_t kLinktypeEthernet = 1;
/// Bytes of an NRB around its records: type, length, end-of-records record, trailing length.
inline constexpr std::size_t kNrbOverhead = 16;

/// Direction of a frame as seen from the captured interface (`epb_flags` bits 0-1).
enum class Direction : std::uint8_t {
    Unknown = 0, ///< no `epb_flags` option is written
    Inbound = 1, ///< the interface received it
    Outbound = 2, ///< the interface sent it
};

constexpr std::size_t padded(std::size_t length)
{
    return (length + 3) & ~std::size_t(3);
}

/// A snaplen clamped to 1..kMaxSnaplen; 0 means the largest.
constexpr std::uint32_t clampSnaplen(std::uint32_t snaplen)
{
    return snaplen == 0 || snaplen > kMaxSnaplen ? kMaxSnaplen : snaplen;
}

/// @p text cut at @p limit bytes without splitting a UTF-8 character.
std::string utf8Cut(std::string_view text, std::size_t limit = kMaxTextBytes);

/// The section header block: version 1.0, section length unknown (-1, a stream), `shb_userappl` when
/// @p userApplication is not empty.
std::string sectionHeaderBlock(std::string_view userApplication = {});

/// @brief What an interface description block says.
struct InterfaceDescription
{
    std::uint16_t linktype = kLinktypeEthernet;
    std::uint32_t snaplen = 65535; ///< clamped with clampSnaplen()
    std::string name; ///< `if_name` (omitted when empty), cut at kMaxTextBytes
    std::string description; ///< `if_description` (omitted when empty)
    /// `if_tsresol`: 9 = nanoseconds (the EPB timestamps count them).
    std::uint8_t tsresol = 9;
};

std::string interfaceDescriptionBlock(const InterfaceDescription &interface);

/// One NRB record: an IPv4 (4 bytes) or IPv6 (16 bytes, network order) address and its name, NUL-terminated and
/// padded. Empty when the name is empty or holds control characters (it must not forge records).
std::string nameRecord(const std::uint8_t *address, std::size_t addressLength, std::string_view name);
/// A name resolution block around @p records (each from nameRecord()); the caller keeps
/// records.size() + kNrbOverhead within kMaxBlockBytes.
std::string nameResolutionBlock(std::string_view records);

/// Bytes of an EPB carrying @p captured bytes of packet data, with an `epb_flags` option unless
/// @p direction is Unknown.
constexpr std::size_t enhancedPacketBlockSize(std::size_t captured, Direction direction)
{
    return 28 + padded(captured) + (direction == Direction::Unknown ? 0 : 12) + 4;
}

/// @brief One packet for an enhanced packet block.
struct EnhancedPacket
{
    std::uint32_t interfaceId = 0;
    std::uint64_t timestampNs = 0; ///< in units of the interface's if_tsresol (nanoseconds since the epoch)
    const void *data = nullptr;
    std::uint32_t captured = 0; ///< bytes at @p data; the caller keeps it within the interface's snaplen
    std::uint32_t original = 0; ///< the frame's length on the wire
    Direction direction = Direction::Unknown;
};

/// Encodes @p packet at @p out, which has room for enhancedPacketBlockSize(); returns the bytes written.
std::size_t writeEnhancedPacketBlock(std::uint8_t *out, const EnhancedPacket &packet);

} // namespace podtap::pcapng
