// SPDX-License-Identifier: Apache-2.0
#include "receive/pcapng_writer.h"

#include "pcapng/pcapng_blocks.h"

#include <QHostAddress>
#include <QIODevice>
#include <QtEndian>

#include <algorithm>
#include <cstring>

namespace podtap::receive {

static_assert(int(PacketDirection::Inbound) == int(pcapng::Direction::Inbound) &&
        int(PacketDirection::Outbound) == int(pcapng::Direction::Outbound),
    "PacketDirection is written as the pcapng epb_flags direction bits");

namespace {

/// The encoders' std::string blocks and the writer's QByteArray buffer meet here.
void appendBlock(QByteArray &to, const std::string &block)
{
    to.append(block.data(), qsizetype(block.size()));
}

} // namespace

PcapngWriter::PcapngWriter(QIODevice *device)
    : PcapngWriter(device, Options {})
{
}

PcapngWriter::PcapngWriter(QIODevice *device, const Options &options)
    : m_device(device)
    , m_options(options)
{
    m_buffer.reserve(std::max<qsizetype>(m_options.flushThreshold, kMaxBlockBytes) + kMaxBlockBytes);
}

PcapngWriter::~PcapngWriter()
{
    close();
}

bool PcapngWriter::start()
{
    if (m_started || m_closed) {
        return !m_failed;
    }
    m_started = true;
    appendBlock(m_buffer, pcapng::sectionHeaderBlock(m_options.application.toUtf8().toStdString()));
    return flush();
}

std::uint32_t PcapngWriter::clampSnaplen(std::uint32_t snaplen) const
{
    return pcapng::clampSnaplen(snaplen);
}

std::uint32_t PcapngWriter::addInterface(const PcapngInterface &interface)
{
    const std::uint32_t snaplen = clampSnaplen(interface.snaplen);
    const auto id = std::uint32_t(m_snaplens.size());
    m_snaplens.append(snaplen);
    if (!m_started) {
        start();
    }
    if (m_closed) {
        return id;
    }
    pcapng::InterfaceDescription idb;
    idb.snaplen = snaplen;
    idb.name = interface.name.toUtf8().toStdString();
    idb.description = interface.description.toUtf8().toStdString();
    appendBlock(m_buffer, pcapng::interfaceDescriptionBlock(idb));
    flush();
    return id;
}

int PcapngWriter::addNames(const QList<PodAddress> &pods)
{
    if (!m_started) {
        start();
    }
    if (m_closed) {
        return 0;
    }
    QByteArray records;
    int written = 0;
    for (const PodAddress &pod : pods) {
        QHostAddress address;
        if (!address.setAddress(pod.ip) || pod.namespaceName.isEmpty() || pod.podName.isEmpty()) {
            continue;
        }
        const std::string name = (pod.namespaceName + QLatin1Char('/') + pod.podName).toUtf8().toStdString();
        bool isV4 = address.protocol() == QAbstractSocket::IPv4Protocol;
        quint32 v4 = 0;
        if (!isV4) {
            // An IPv4-mapped IPv6 address names an IPv4 host.
            bool mapped = false;
            v4 = address.toIPv4Address(&mapped);
            isV4 = mapped;
        } else {
            v4 = address.toIPv4Address();
        }
        const quint32 networkOrder = qToBigEndian(v4);
        const Q_IPV6ADDR v6 = address.toIPv6Address();
        // Empty when the name holds control characters: pod data must not forge records.
        const std::string encoded = isV4
            ? pcapng::nameRecord(reinterpret_cast<const std::uint8_t *>(&networkOrder), 4, name)
            : pcapng::nameRecord(v6.c, 16, name);
        if (encoded.empty()) {
            continue;
        }
        const QByteArray record(encoded.data(), qsizetype(encoded.size()));
        if (records.size() + record.size() + qsizetype(pcapng::kNrbOverhead) > qsizetype(kMaxBlockBytes)) {
            writeNameBlock(records);
            records.clear();
        }
        records.append(record);
        ++written;
    }
    if (!records.isEmpty()) {
        writeNameBlock(records);
    }
    flush();
    return written;
}

void PcapngWriter::writeNameBlock(const QByteArray &records)
{
    appendBlock(
        m_buffer, pcapng::nameResolutionBlock(std::string_view(records.constData(), std::size_t(records.size()))));
}

qint64 PcapngWriter::pendingBytes() const
{
    return qint64(m_buffer.size()) + (m_device ? m_device->bytesToWrite() : 0);
}

bool PcapngWriter::writePacket(
    std::uint32_t interfaceId, std::int64_t timestampNs, PacketDirection direction, const char *data, qsizetype length)
{
    if (!m_started || m_closed || m_failed || interfaceId >= std::uint32_t(m_snaplens.size()) || length < 0 ||
        pendingBytes() >= m_options.maxPendingBytes) {
        ++m_dropped;
        return false;
    }
    pcapng::EnhancedPacket packet;
    packet.interfaceId = interfaceId;
    packet.timestampNs = std::uint64_t(std::max<std::int64_t>(timestampNs, 0));
    packet.data = data;
    packet.captured = std::uint32_t(std::min<qsizetype>(length, m_snaplens.at(interfaceId)));
    packet.original = std::uint32_t(std::min<qsizetype>(length, 0xFFFFFFFF));
    packet.direction = pcapng::Direction(direction);
    const qsizetype at = m_buffer.size();
    m_buffer.resize(at + qsizetype(pcapng::enhancedPacketBlockSize(packet.captured, packet.direction)));
    pcapng::writeEnhancedPacketBlock(reinterpret_cast<std::uint8_t *>(m_buffer.data()) + at, packet);
    ++m_written;
    if (m_buffer.size() >= m_options.flushThreshold) {
        flush();
    }
    return true;
}

bool PcapngWriter::flush()
{
    if (m_failed) {
        return false;
    }
    if (m_buffer.isEmpty() || !m_device) {
        return true;
    }
    // The raw-pointer write copies: the buffer keeps its capacity instead of being shared with the device.
    const qint64 accepted = m_device->write(m_buffer.constData(), m_buffer.size());
    if (accepted < 0) {
        m_failed = true;
        m_error = m_device->errorString();
        m_buffer.resize(0);
        return false;
    }
    m_deviceBytes += quint64(accepted);
    if (accepted < m_buffer.size()) {
        // The device took part of a block; the rest goes first next time, so the stream stays whole.
        m_buffer.remove(0, accepted);
    } else {
        m_buffer.resize(0);
    }
    return true;
}

bool PcapngWriter::close()
{
    if (m_closed) {
        return !m_failed;
    }
    const bool ok = flush();
    m_closed = true;
    return ok;
}

} // namespace podtap::receive
