// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "capture/pod_hosts_file.h"
#include "pcapng/pcapng_blocks.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <cstdint>

class QIODevice;

namespace podtap::receive {

/// Direction of a captured frame as seen from the tapped pod interface (pcapng `epb_flags` bits 0-1).
enum class PacketDirection : std::uint8_t {
    Unknown = 0,
    Inbound = 1, ///< the pod received it (tc ingress hook)
    Outbound = 2, ///< the pod sent it (tc egress hook)
};

/// @brief One pcapng interface: a tapped pod interface.
struct PcapngInterface
{
    QString name; ///< `ns/pod/iface`, written as `if_name`
    QString description; ///< written as `if_description` (omitted when empty)
    std::uint32_t snaplen = 65535; ///< longer frames are truncated; clamped so an EPB stays under the block limit
};

/// @brief Writes a pcapng stream (IETF draft-ietf-opsawg-pcapng) to a QIODevice: one section, one interface per
/// tapped pod interface, name resolution blocks for pod IPs, and enhanced packet blocks with nanosecond
/// timestamps and direction flags.
///
/// Every block is kept below kMaxBlockBytes (Wireshark refuses bigger blocks on a pipe): packet data is truncated
/// to the interface's snaplen and name records are spread over several NRBs.
///
/// Blocks are assembled in an internal buffer and handed to the device only whole, by flush(): the stream never
/// holds half a block, also when the writer is closed mid-capture. Back-pressure: a packet is dropped (and counted)
/// instead of queued when the bytes not yet accepted by the reader — this writer's buffer plus the device's own
/// write buffer (QIODevice::bytesToWrite(), which grows for a QProcess or a socket whose reader is slow) — exceed
/// Options::maxPendingBytes. Interface and name blocks are never dropped: without them the packets that follow
/// cannot be read. A QFile accepts every write synchronously, so a file only drops when the disk refuses.
///
/// Not thread-safe; lives in the thread that owns the device. Allocates only when a block is bigger than any before
/// (the buffer keeps its capacity), so the per-packet path does not allocate.
class PcapngWriter final
{
public:
    /// Wireshark's limit for one block read from a pipe is 256 KiB; every block written is strictly smaller.
    static constexpr std::uint32_t kMaxBlockBytes = pcapng::kMaxBlockBytes;
    /// The largest snaplen an interface may have so that an EPB with its options stays under kMaxBlockBytes.
    static constexpr std::uint32_t kMaxSnaplen = pcapng::kMaxSnaplen;

    struct Options
    {
        /// Bytes written but not yet taken by the reader above which packets are dropped (see the class comment).
        qint64 maxPendingBytes = 8 * 1024 * 1024;
        /// The writer hands its buffer to the device once it holds this much, even before flush().
        qsizetype flushThreshold = 256 * 1024;
        /// `shb_userappl`.
        QString application;
    };

    /// Does not take ownership of @p device, which must be open for writing and outlive the writer (or be
    /// detached with close()). Nothing is written before start().
    explicit PcapngWriter(QIODevice *device);
    PcapngWriter(QIODevice *device, const Options &options);
    ~PcapngWriter();
    PcapngWriter(const PcapngWriter &) = delete;
    PcapngWriter &operator=(const PcapngWriter &) = delete;

    /// Writes the section header block. Returns false (see errorString()) when the device refuses it.
    bool start();

    /// Adds an interface description block (after the section header: start() is implied); returns the interface
    /// id that writePacket() takes.
    std::uint32_t addInterface(const PcapngInterface &interface);
    std::uint32_t interfaceCount() const { return std::uint32_t(m_snaplens.size()); }

    /// Writes name resolution blocks mapping each pod IP (IPv4 or IPv6) to `ns/pod`, as many as it takes to keep
    /// each under the block limit. Entries whose IP does not parse or whose name holds control characters are
    /// skipped (pod data comes from the API server and must not forge records). Returns the number of records
    /// written. May be called again mid-stream as pods come and go; readers use the latest name for an address.
    int addNames(const QList<PodAddress> &pods);

    /// Adds an enhanced packet block. @p timestampNs is nanoseconds since the Unix epoch. Data beyond the
    /// interface's snaplen is cut off (the original length is kept). Returns false when the packet was dropped:
    /// unknown interface, writer not started or closed, or back-pressure.
    bool writePacket(std::uint32_t interfaceId, std::int64_t timestampNs, PacketDirection direction, const char *data,
        qsizetype length);

    /// Hands every whole block assembled so far to the device. Returns false when the device refused.
    bool flush();

    /// Flushes and stops writing: later calls write nothing. Does not close the device.
    bool close();

    bool isStarted() const { return m_started; }
    bool isClosed() const { return m_closed; }
    /// Packets dropped because of back-pressure, a device error, or after close.
    quint64 droppedPackets() const { return m_dropped; }
    quint64 writtenPackets() const { return m_written; }
    /// Bytes of whole blocks accepted by the device so far.
    quint64 writtenBytes() const { return m_deviceBytes; }
    QString errorString() const { return m_error; }

private:
    std::uint32_t clampSnaplen(std::uint32_t snaplen) const;
    qint64 pendingBytes() const;
    void writeNameBlock(const QByteArray &records);

    QIODevice *m_device = nullptr;
    Options m_options;
    QByteArray m_buffer; ///< whole blocks not yet handed to the device
    QList<std::uint32_t> m_snaplens; ///< per interface id
    bool m_started = false;
    bool m_closed = false;
    bool m_failed = false;
    quint64 m_dropped = 0;
    quint64 m_written = 0;
    quint64 m_deviceBytes = 0;
    QString m_error;
};

} // namespace podtap::receive
