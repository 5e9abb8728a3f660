// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pcapng_writer.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <cstdint>
#include <functional>

namespace podtap::receive {

/// @brief One interface of a pcapng section, from its interface description block.
struct PcapngInterfaceInfo
{
    std::uint16_t linkType = 0;
    std::uint32_t snaplen = 0; ///< 0: no limit
    QString name; ///< `if_name` (empty when absent)
    std::uint8_t tsresol = 6; ///< `if_tsresol` as written: bit 7 clear: 10^-n s, set: 2^-n s
    std::int64_t tsoffsetSeconds = 0; ///< `if_tsoffset`
};

/// @brief A packet from an enhanced packet block.
struct PcapngPacket
{
    std::uint32_t interfaceId = 0;
    std::int64_t timestampNs = 0; ///< nanoseconds since the Unix epoch (if_tsresol and if_tsoffset applied)
    std::uint32_t capturedLength = 0;
    std::uint32_t originalLength = 0;
    QByteArray data; ///< capturedLength bytes
    PacketDirection direction = PacketDirection::Unknown; ///< `epb_flags` bits 0-1
};

/// @brief One whole block as PcapngStreamReader delivers it.
struct PcapngBlock
{
    enum class Type { SectionHeader, InterfaceDescription, EnhancedPacket };
    Type type = Type::SectionHeader;
    QByteArray raw; ///< the block exactly as received, in the section's byte order
    bool bigEndian = false; ///< the section's byte order
    PcapngInterfaceInfo interface; ///< InterfaceDescription
    PcapngPacket packet; ///< EnhancedPacket
};

/// @brief Reads a pcapng stream (draft-ietf-opsawg-pcapng) that arrives in arbitrary chunks (an exec
/// stream's stdout) and hands out whole blocks: section headers (either byte order), interface
/// descriptions and enhanced packets. Other block types (name resolution, statistics, simple
/// packets, custom) are skipped.
///
/// The stream comes from another machine, so nothing in it is trusted: a block length below 12, not
/// a multiple of 4, above kMaxBlockBytes (Wireshark's limit on a pipe), or disagreeing with the
/// trailing copy, an option or packet running past its block, or a packet on an interface never
/// described is an error naming the block and its offset, after which the reader delivers nothing
/// more. Lengths are checked before anything is allocated from them, and the reader never holds more
/// than one block plus one chunk.
///
/// After a gap in the stream (ExecStream dropped stdout under back-pressure), resynchronize() drops
/// the partial block and looks for the next block whose leading and trailing lengths agree.
class PcapngStreamReader final
{
public:
    static constexpr std::uint32_t kMaxBlockBytes = 262144;

    PcapngStreamReader() = default;

    /// Takes the next bytes of the stream; returns the blocks they completed. Empty after an error.
    QList<PcapngBlock> append(QByteArrayView chunk);
    /// The stream lost bytes before the next append(): skip to the next plausible block.
    void resynchronize();

    bool hasError() const { return !m_error.isEmpty(); }
    /// What was wrong, naming the block and its offset in the stream; empty while all is well.
    const QString &errorString() const { return m_error; }
    /// Interfaces of the current section, by interface id.
    const QList<PcapngInterfaceInfo> &interfaces() const { return m_interfaces; }
    /// Bytes received and not yet part of a delivered or skipped block.
    qsizetype pendingBytes() const { return m_buffer.size() - m_offset; }
    /// Offset in the stream of the next block to read (bytes skipped while resynchronising count).
    quint64 streamOffset() const { return m_streamOffset; }
    quint64 skippedBlocks() const { return m_skippedBlocks; }
    /// Bytes passed over while resynchronising after gaps.
    quint64 resyncSkippedBytes() const { return m_resyncSkipped; }

private:
    enum class Parse { Block, NeedMore, Skip, Error };
    Parse parseOne(PcapngBlock *block);
    bool parseSection(const char *data, std::uint32_t length, PcapngBlock *block);
    bool parseInterface(const char *data, std::uint32_t length, PcapngBlock *block);
    bool parsePacket(const char *data, std::uint32_t length, PcapngBlock *block);
    /// Walks the options from @p at to @p end (the block's trailing length), calling @p option(code, length,
    /// value) for each until opt_endofopt. False, after fail() naming @p blockName, when an option runs past the
    /// block or @p option returns false (it has failed itself then).
    bool readOptions(const char *data, std::uint32_t at, std::uint32_t end, const QString &blockName,
        const std::function<bool(std::uint16_t, std::uint16_t, const char *)> &option);
    bool findBlockStart();
    std::uint32_t u32(const char *p) const;
    std::uint16_t u16(const char *p) const;
    void fail(const QString &what);

    QByteArray m_buffer;
    qsizetype m_offset = 0; ///< start of unread bytes in m_buffer
    quint64 m_streamOffset = 0;
    bool m_sectionSeen = false;
    bool m_bigEndian = false;
    bool m_resyncing = false;
    QList<PcapngInterfaceInfo> m_interfaces;
    QString m_error;
    quint64 m_skippedBlocks = 0;
    quint64 m_resyncSkipped = 0;
};

} // namespace podtap::receive
