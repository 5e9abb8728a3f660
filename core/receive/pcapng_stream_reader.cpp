// SPDX-License-Identifier: Apache-2.0
#include "pcapng_stream_reader.h"

#include <QtEndian>

namespace podtap::receive {

namespace {

constexpr std::uint32_t kSectionHeader = 0x0A0D0D0A; // the same in either byte order
constexpr std::uint32_t kInterfaceDescription = 1;
constexpr std::uint32_t kSimplePacket = 3;
constexpr std::uint32_t kNameResolution = 4;
constexpr std::uint32_t kInterfaceStatistics = 5;
constexpr std::uint32_t kEnhancedPacket = 6;
constexpr std::uint32_t kDecryptionSecrets = 0x0A;
constexpr std::uint32_t kMinBlockBytes = 12;
constexpr std::uint16_t kOptEnd = 0;
constexpr std::uint16_t kIfName = 2;
constexpr std::uint16_t kIfTsresol = 9;
constexpr std::uint16_t kIfTsoffset = 14;
constexpr std::uint16_t kEpbFlags = 2;

constexpr std::uint64_t pad4(std::uint64_t n)
{
    return (n + 3) & ~std::uint64_t(3);
}

bool plausibleLength(std::uint32_t length)
{
    return length >= kMinBlockBytes && length % 4 == 0 && length <= PcapngStreamReader::kMaxBlockBytes;
}

/// Timestamp units per second of @p tsresol, or 0 when they do not fit 64 bits.
std::uint64_t unitsPerSecond(std::uint8_t tsresol)
{
    const unsigned exponent = tsresol & 0x7f;
    if (tsresol & 0x80) {
        return exponent <= 63 ? std::uint64_t(1) << exponent : 0;
    }
    if (exponent > 19) {
        return 0;
    }
    std::uint64_t units = 1;
    for (unsigned i = 0; i < exponent; ++i) {
        units *= 10;
    }
    return units;
}

/// Nanoseconds in @p ticks of if_tsresol @p tsresol, without overflowing 64 bits in between.
std::uint64_t ticksToNs(std::uint64_t ticks, std::uint8_t tsresol)
{
    constexpr std::uint64_t kNsPerSecond = 1000000000;
    const std::uint64_t units = unitsPerSecond(tsresol);
    const std::uint64_t seconds = ticks / units;
    const std::uint64_t fraction = ticks % units; // < units
    std::uint64_t fractionNs = 0;
    if (tsresol & 0x80) {
        const unsigned exponent = tsresol & 0x7f;
        // fraction < 2^exponent; fraction * 10^9 fits 64 bits while exponent <= 34.
        fractionNs = exponent <= 34 ? (fraction * kNsPerSecond) >> exponent
                                    : ((fraction >> (exponent - 34)) * kNsPerSecond) >> 34;
    } else if (units <= kNsPerSecond) {
        fractionNs = fraction * (kNsPerSecond / units);
    } else {
        fractionNs = fraction / (units / kNsPerSecond);
    }
    return seconds * kNsPerSecond + fractionNs;
}

} // namespace

std::uint32_t PcapngStreamReader::u32(const char *p) const
{
    return m_bigEndian ? qFromBigEndian<std::uint32_t>(p) : qFromLittleEndian<std::uint32_t>(p);
}

std::uint16_t PcapngStreamReader::u16(const char *p) const
{
    return m_bigEndian ? qFromBigEndian<std::uint16_t>(p) : qFromLittleEndian<std::uint16_t>(p);
}

void PcapngStreamReader::fail(const QString &what)
{
    m_error = QStringLiteral("pcapng stream, block at byte %1: %2. The capture's output is damaged or is not pcapng; "
                             "stop the tap and start it again, and report it if it repeats.")
                  .arg(m_streamOffset)
                  .arg(what);
}

void PcapngStreamReader::resynchronize()
{
    if (hasError()) {
        return;
    }
    m_resyncing = true;
}

bool PcapngStreamReader::findBlockStart()
{
    // After a gap the next block may start at any byte: try each offset until a block's leading
    // and trailing lengths agree (and its type is one pcapng defines).
    while (m_buffer.size() - m_offset >= 12) {
        const char *p = m_buffer.constData() + m_offset;
        const qsizetype available = m_buffer.size() - m_offset;
        const bool section = qFromLittleEndian<std::uint32_t>(p) == kSectionHeader;
        bool candidate = false;
        std::uint32_t length = 0;
        if (section) {
            const std::uint32_t magic = qFromLittleEndian<std::uint32_t>(p + 8);
            if (magic == 0x1A2B3C4D || magic == 0x4D3C2B1A) {
                const bool big = magic == 0x4D3C2B1A;
                length = big ? qFromBigEndian<std::uint32_t>(p + 4) : qFromLittleEndian<std::uint32_t>(p + 4);
                candidate = plausibleLength(length) && length >= 28;
            }
        } else if (m_sectionSeen) {
            const std::uint32_t type = u32(p);
            length = u32(p + 4);
            candidate = plausibleLength(length) &&
                (type == kInterfaceDescription || type == kSimplePacket || type == kNameResolution ||
                    type == kInterfaceStatistics || type == kDecryptionSecrets ||
                    (type == kEnhancedPacket && length >= 32 && u32(p + 8) < std::uint32_t(m_interfaces.size())));
        }
        if (candidate) {
            if (available < qsizetype(length)) {
                return false; // wait for the rest before judging it
            }
            const std::uint32_t trailing = section ? (qFromLittleEndian<std::uint32_t>(p + 8) == 0x4D3C2B1A
                                                             ? qFromBigEndian<std::uint32_t>(p + length - 4)
                                                             : qFromLittleEndian<std::uint32_t>(p + length - 4))
                                                   : u32(p + length - 4);
            if (trailing == length) {
                return true;
            }
        }
        ++m_offset;
        ++m_streamOffset;
        ++m_resyncSkipped;
    }
    return false;
}

QList<PcapngBlock> PcapngStreamReader::append(QByteArrayView chunk)
{
    QList<PcapngBlock> blocks;
    if (hasError()) {
        return blocks;
    }
    if (m_offset > 0) {
        m_buffer.remove(0, m_offset); // keeps the capacity: no reallocation per chunk
        m_offset = 0;
    }
    m_buffer.append(chunk.data(), chunk.size());
    for (;;) {
        if (m_resyncing) {
            if (!findBlockStart()) {
                break;
            }
            m_resyncing = false;
        }
        PcapngBlock block;
        const Parse result = parseOne(&block);
        if (result == Parse::Block) {
            blocks.append(std::move(block));
        } else if (result == Parse::NeedMore) {
            break;
        } else if (result == Parse::Error) {
            m_buffer.clear();
            m_offset = 0;
            break;
        }
    }
    return blocks;
}

PcapngStreamReader::Parse PcapngStreamReader::parseOne(PcapngBlock *block)
{
    // Judge the length as soon as its 8 header bytes are in (a section header needs 12, for its
    // byte order): a hostile length is refused before the reader waits for, or holds, its bytes.
    const qsizetype available = m_buffer.size() - m_offset;
    if (available < 8) {
        return Parse::NeedMore;
    }
    const char *p = m_buffer.constData() + m_offset;
    const std::uint32_t rawType = qFromLittleEndian<std::uint32_t>(p);
    if (rawType == kSectionHeader && available < 12) {
        return Parse::NeedMore;
    }
    if (rawType == kSectionHeader) {
        const std::uint32_t magic = qFromLittleEndian<std::uint32_t>(p + 8);
        if (magic != 0x1A2B3C4D && magic != 0x4D3C2B1A) {
            fail(QStringLiteral("a section header with the byte-order magic %1 (neither byte order)")
                     .arg(magic, 8, 16, QLatin1Char('0')));
            return Parse::Error;
        }
        m_bigEndian = magic == 0x4D3C2B1A;
    } else if (!m_sectionSeen) {
        fail(QStringLiteral("the stream does not start with a section header (it starts with %1)")
                 .arg(QString::fromLatin1(QByteArray(p, 8).toHex(' '))));
        return Parse::Error;
    }
    const std::uint32_t type = u32(p);
    const std::uint32_t length = u32(p + 4);
    if (length < kMinBlockBytes || length % 4 != 0) {
        fail(QStringLiteral("block type 0x%1 has the length %2, which is below 12 or not a multiple of 4")
                 .arg(type, 0, 16)
                 .arg(length));
        return Parse::Error;
    }
    if (length > kMaxBlockBytes) {
        fail(QStringLiteral("block type 0x%1 has the length %2, above the limit of %3 bytes")
                 .arg(type, 0, 16)
                 .arg(length)
                 .arg(kMaxBlockBytes));
        return Parse::Error;
    }
    if (available < qsizetype(length)) {
        return Parse::NeedMore;
    }
    if (u32(p + length - 4) != length) {
        fail(QStringLiteral("block type 0x%1 has the length %2 at its start but %3 at its end")
                 .arg(type, 0, 16)
                 .arg(length)
                 .arg(u32(p + length - 4)));
        return Parse::Error;
    }
    bool ok = true;
    Parse result = Parse::Block;
    switch (type) {
    case kSectionHeader:
        ok = parseSection(p, length, block);
        break;
    case kInterfaceDescription:
        ok = parseInterface(p, length, block);
        break;
    case kEnhancedPacket:
        ok = parsePacket(p, length, block);
        break;
    default:
        ++m_skippedBlocks;
        result = Parse::Skip;
        break;
    }
    if (!ok) {
        return Parse::Error;
    }
    if (result == Parse::Block) {
        block->raw = QByteArray(p, length);
        block->bigEndian = m_bigEndian;
    }
    m_offset += length;
    m_streamOffset += length;
    return result;
}

bool PcapngStreamReader::parseSection(const char *data, std::uint32_t length, PcapngBlock *block)
{
    if (length < 28) {
        fail(QStringLiteral("a section header of %1 bytes, shorter than its 28 fixed bytes").arg(length));
        return false;
    }
    const std::uint16_t major = u16(data + 12);
    if (major != 1) {
        fail(QStringLiteral("a section header of pcapng version %1.%2; only version 1 is defined")
                 .arg(major)
                 .arg(u16(data + 14)));
        return false;
    }
    block->type = PcapngBlock::Type::SectionHeader;
    m_sectionSeen = true;
    m_interfaces.clear(); // interface ids are per section
    return true;
}

bool PcapngStreamReader::parseInterface(const char *data, std::uint32_t length, PcapngBlock *block)
{
    if (length < 20) {
        fail(QStringLiteral("an interface description of %1 bytes, shorter than its 20 fixed bytes").arg(length));
        return false;
    }
    PcapngInterfaceInfo info;
    info.linkType = u16(data + 8);
    info.snaplen = u32(data + 12);
    const bool read = readOptions(data, 16, length - 4, QStringLiteral("an interface description"),
        [this, &info](std::uint16_t code, std::uint16_t optionLength, const char *value) {
            if (code == kIfName) {
                QByteArray name(value, optionLength);
                while (name.endsWith('\0')) {
                    name.chop(1);
                }
                info.name = QString::fromUtf8(name);
            } else if (code == kIfTsresol && optionLength == 1) {
                info.tsresol = std::uint8_t(value[0]);
                if (unitsPerSecond(info.tsresol) == 0) {
                    fail(QStringLiteral("interface %1 has if_tsresol 0x%2, a resolution finer than 64 bits hold")
                             .arg(m_interfaces.size())
                             .arg(info.tsresol, 2, 16, QLatin1Char('0')));
                    return false;
                }
            } else if (code == kIfTsoffset && optionLength == 8) {
                const std::uint64_t offset =
                    m_bigEndian ? qFromBigEndian<std::uint64_t>(value) : qFromLittleEndian<std::uint64_t>(value);
                info.tsoffsetSeconds = std::int64_t(offset);
            }
            return true;
        });
    if (!read) {
        return false;
    }
    block->type = PcapngBlock::Type::InterfaceDescription;
    block->interface = info;
    m_interfaces.append(info);
    return true;
}

bool PcapngStreamReader::parsePacket(const char *data, std::uint32_t length, PcapngBlock *block)
{
    if (length < 32) {
        fail(QStringLiteral("an enhanced packet block of %1 bytes, shorter than its 32 fixed bytes").arg(length));
        return false;
    }
    PcapngPacket &packet = block->packet;
    packet.interfaceId = u32(data + 8);
    if (packet.interfaceId >= std::uint32_t(m_interfaces.size())) {
        fail(QStringLiteral("a packet on interface %1, but the section describes %2 interface(s)")
                 .arg(packet.interfaceId)
                 .arg(m_interfaces.size()));
        return false;
    }
    const std::uint64_t ticks = (std::uint64_t(u32(data + 12)) << 32) | u32(data + 16);
    packet.capturedLength = u32(data + 20);
    packet.originalLength = u32(data + 24);
    // 64-bit sums: a hostile captured length must not wrap around the check.
    const std::uint32_t end = length - 4;
    if (28 + pad4(packet.capturedLength) > end) {
        fail(QStringLiteral("a packet of %1 captured bytes in a block of %2 bytes")
                 .arg(packet.capturedLength)
                 .arg(length));
        return false;
    }
    packet.data = QByteArray(data + 28, qsizetype(packet.capturedLength));

    const PcapngInterfaceInfo &info = m_interfaces.at(packet.interfaceId);
    const std::uint64_t ns = ticksToNs(ticks, info.tsresol);
    // Unsigned: a hostile offset wraps instead of overflowing a signed integer.
    packet.timestampNs = std::int64_t(ns + std::uint64_t(info.tsoffsetSeconds) * std::uint64_t(1000000000));

    const bool read = readOptions(data, 28 + std::uint32_t(pad4(packet.capturedLength)), end,
        QStringLiteral("a packet"), [this, &packet](std::uint16_t code, std::uint16_t optionLength, const char *value) {
            if (code == kEpbFlags && optionLength == 4) {
                switch (u32(value) & 0x3) {
                case 1:
                    packet.direction = PacketDirection::Inbound;
                    break;
                case 2:
                    packet.direction = PacketDirection::Outbound;
                    break;
                default:
                    packet.direction = PacketDirection::Unknown;
                    break;
                }
            }
            return true;
        });
    if (!read) {
        return false;
    }
    block->type = PcapngBlock::Type::EnhancedPacket;
    return true;
}

bool PcapngStreamReader::readOptions(const char *data, std::uint32_t at, std::uint32_t end, const QString &blockName,
    const std::function<bool(std::uint16_t, std::uint16_t, const char *)> &option)
{
    while (at + 4 <= end) {
        const std::uint16_t code = u16(data + at);
        const std::uint16_t optionLength = u16(data + at + 2);
        if (code == kOptEnd) {
            break;
        }
        if (at + 4 + pad4(optionLength) > end) {
            fail(QStringLiteral("option %1 of %2 runs past the block").arg(code).arg(blockName));
            return false;
        }
        if (!option(code, optionLength, data + at + 4)) {
            return false;
        }
        at += 4 + std::uint32_t(pad4(optionLength));
    }
    return true;
}

} // namespace podtap::receive
