// SPDX-License-Identifier: Apache-2.0
#include "receive/pcapng_writer.h"

#include <QHostAddress>
#include <QIODevice>
#include <QtEndian>

#include <algorithm>
#include <cstring>

namespace podtap::receive {

namespace {

// Block types and option codes from the pcapng draft.
constexpr std::uint32_t kSectionHeaderBlock = 0x0A0D0D0A;
constexpr std::uint32_t kInterfaceDescriptionBlock = 0x00000001;
constexpr std::uint32_t kNameResolutionBlock = 0x00000004;
constexpr std::uint32_t kEnhancedPacketBlock = 0x00000006;
constexpr std::uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr std::uint16_t kOptEndOfOptions = 0;
constexpr std::uint16_t kOptShbUserAppl = 4;
constexpr std::uint16_t kOptIfName = 2;
constexpr std::uint16_t kOptIfDescription = 3;
constexpr std::uint16_t kOptIfTsresol = 9;
constexpr std::uint16_t kOptEpbFlags = 2;
constexpr std::uint16_t kNrbEnd = 0;
constexpr std::uint16_t kNrbIpv4 = 1;
constexpr std::uint16_t kNrbIpv6 = 2;
constexpr std::uint16_t kLinktypeEthernet = 1;
/// if_tsresol 9: timestamps count nanoseconds.
constexpr char kTsresolNanoseconds = 9;
/// Text options and names are cut here: far above any Kubernetes name, far below the 16-bit option length.
constexpr qsizetype kMaxTextBytes = 4096;
/// Bytes of an NRB around its records: type, length, end-of-records record, trailing length.
constexpr qsizetype kNrbOverhead = 16;

constexpr qsizetype padded(qsizetype length)
{
    return (length + 3) & ~qsizetype(3);
}

/// Cuts UTF-8 text at @p limit bytes without splitting a character.
QByteArray utf8Cut(const QString &text, qsizetype limit)
{
    QByteArray bytes = text.toUtf8();
    if (bytes.size() <= limit) {
        return bytes;
    }
    qsizetype cut = limit;
    while (cut > 0 && (quint8(bytes.at(cut)) & 0xC0) == 0x80) {
        --cut;
    }
    bytes.truncate(cut);
    return bytes;
}

bool hasControlCharacters(const QByteArray &name)
{
    return std::any_of(name.cbegin(), name.cend(), [](char c) { return quint8(c) < 0x20 || c == 0x7F; });
}

template<typename T>
void appendRaw(QByteArray &to, T value)
{
    to.append(reinterpret_cast<const char *>(&value), sizeof value);
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
    beginBlock(kSectionHeaderBlock);
    appendU32(kByteOrderMagic);
    appendU16(1); // major version
    appendU16(0); // minor version
    appendRaw(m_buffer, std::int64_t(-1)); // section length: unknown, this is a stream
    if (!m_options.application.isEmpty()) {
        const QByteArray application = utf8Cut(m_options.application, kMaxTextBytes);
        appendOption(kOptShbUserAppl, application.constData(), std::uint16_t(application.size()));
    }
    appendOption(kOptEndOfOptions, nullptr, 0);
    endBlock();
    return flush();
}

std::uint32_t PcapngWriter::clampSnaplen(std::uint32_t snaplen) const
{
    return snaplen == 0 ? kMaxSnaplen : std::min(snaplen, kMaxSnaplen);
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
    beginBlock(kInterfaceDescriptionBlock);
    appendU16(kLinktypeEthernet);
    appendU16(0); // reserved
    appendU32(snaplen);
    const QByteArray name = utf8Cut(interface.name, kMaxTextBytes);
    appendOption(kOptIfName, name.constData(), std::uint16_t(name.size()));
    if (!interface.description.isEmpty()) {
        const QByteArray description = utf8Cut(interface.description, kMaxTextBytes);
        appendOption(kOptIfDescription, description.constData(), std::uint16_t(description.size()));
    }
    appendOption(kOptIfTsresol, &kTsresolNanoseconds, 1);
    appendOption(kOptEndOfOptions, nullptr, 0);
    endBlock();
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
        const QByteArray name = utf8Cut(pod.namespaceName + QLatin1Char('/') + pod.podName, kMaxTextBytes);
        if (hasControlCharacters(name)) {
            continue;
        }
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
        QByteArray record;
        const qsizetype valueLength = (isV4 ? 4 : 16) + name.size() + 1;
        appendRaw(record, isV4 ? kNrbIpv4 : kNrbIpv6);
        appendRaw(record, std::uint16_t(valueLength));
        if (isV4) {
            const quint32 networkOrder = qToBigEndian(v4);
            appendRaw(record, networkOrder);
        } else {
            const Q_IPV6ADDR v6 = address.toIPv6Address();
            record.append(reinterpret_cast<const char *>(v6.c), 16);
        }
        record.append(name);
        record.append('\0');
        record.append(padded(valueLength) - valueLength, '\0');
        if (records.size() + record.size() + kNrbOverhead > qsizetype(kMaxBlockBytes)) {
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
    beginBlock(kNameResolutionBlock);
    m_buffer.append(records);
    appendU16(kNrbEnd);
    appendU16(0);
    endBlock();
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
    const qsizetype captured = std::min<qsizetype>(length, m_snaplens.at(interfaceId));
    const auto timestamp = std::uint64_t(std::max<std::int64_t>(timestampNs, 0));
    beginBlock(kEnhancedPacketBlock);
    appendU32(interfaceId);
    appendU32(std::uint32_t(timestamp >> 32));
    appendU32(std::uint32_t(timestamp & 0xFFFFFFFFu));
    appendU32(std::uint32_t(captured));
    appendU32(std::uint32_t(std::min<qsizetype>(length, 0xFFFFFFFF)));
    m_buffer.append(data, captured);
    appendPadding();
    if (direction != PacketDirection::Unknown) {
        const auto flags = std::uint32_t(direction);
        appendOption(kOptEpbFlags, reinterpret_cast<const char *>(&flags), 4);
        appendOption(kOptEndOfOptions, nullptr, 0);
    }
    endBlock();
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

void PcapngWriter::beginBlock(std::uint32_t type)
{
    m_blockStart = m_buffer.size();
    appendU32(type);
    appendU32(0); // total length, patched by endBlock()
}

void PcapngWriter::endBlock()
{
    const auto total = std::uint32_t(m_buffer.size() - m_blockStart + 4);
    appendU32(total);
    std::memcpy(m_buffer.data() + m_blockStart + 4, &total, 4);
    m_blockStart = -1;
}

void PcapngWriter::appendOption(std::uint16_t code, const char *data, std::uint16_t length)
{
    appendU16(code);
    appendU16(length);
    if (length > 0) {
        m_buffer.append(data, length);
        appendPadding();
    }
}

void PcapngWriter::appendU16(std::uint16_t value)
{
    appendRaw(m_buffer, value);
}

void PcapngWriter::appendU32(std::uint32_t value)
{
    appendRaw(m_buffer, value);
}

void PcapngWriter::appendPadding()
{
    const qsizetype fill = padded(m_buffer.size() - m_blockStart) - (m_buffer.size() - m_blockStart);
    if (fill > 0) {
        static constexpr char zeros[4] = {};
        m_buffer.append(zeros, fill);
    }
}

} // namespace podtap::receive
