// SPDX-License-Identifier: Apache-2.0
#include "websocket.h"

#include <QCryptographicHash>
#include <QtEndian>

#include <utility>

namespace podtap::sim::ws {

QByteArray acceptKey(const QByteArray &clientKey)
{
    return QCryptographicHash::hash(
        clientKey.trimmed() + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11", QCryptographicHash::Sha1)
        .toBase64();
}

QByteArray encodeFrame(quint8 opcode, const QByteArray &payload)
{
    QByteArray frame;
    frame.reserve(payload.size() + 10);
    frame.append(char(0x80 | (opcode & 0x0F)));
    const quint64 size = quint64(payload.size());
    if (size < 126) {
        frame.append(char(size));
    } else if (size <= 0xFFFF) {
        frame.append(char(126));
        char length[2];
        qToBigEndian(quint16(size), length);
        frame.append(length, 2);
    } else {
        frame.append(char(127));
        char length[8];
        qToBigEndian(size, length);
        frame.append(length, 8);
    }
    frame.append(payload);
    return frame;
}

QByteArray encodeClose(quint16 code, const QByteArray &reason)
{
    char raw[2];
    qToBigEndian(code, raw);
    return encodeFrame(Close, QByteArray(raw, 2) + reason.left(123));
}

FrameParser::FrameParser(qsizetype maxMessageBytes)
    : m_maxMessageBytes(maxMessageBytes)
{
}

void FrameParser::append(const QByteArray &data)
{
    if (failed()) {
        return;
    }
    // Drop what was parsed before growing, so a long session does not keep every byte it saw.
    if (m_offset > 0 && m_offset >= m_buffer.size() / 2) {
        m_buffer.remove(0, m_offset);
        m_offset = 0;
    }
    m_buffer.append(data);
}

bool FrameParser::fail(quint16 code, const char *why)
{
    m_closeCode = code;
    m_error = why;
    m_buffer.clear();
    m_offset = 0;
    m_fragments.clear();
    return false;
}

bool FrameParser::next(Message *message)
{
    for (;;) {
        if (failed()) {
            return false;
        }
        const qsizetype available = m_buffer.size() - m_offset;
        if (available < 2) {
            return false;
        }
        const auto *head = reinterpret_cast<const uchar *>(m_buffer.constData() + m_offset);
        const bool fin = head[0] & 0x80;
        const quint8 opcode = head[0] & 0x0F;
        if (head[0] & 0x70) {
            return fail(ProtocolError, "reserved bits set without a negotiated extension");
        }
        if (!(head[1] & 0x80)) {
            return fail(ProtocolError, "client frame not masked");
        }
        const bool control = opcode & 0x08;
        if ((opcode > Binary && !control) || opcode > Pong) {
            return fail(ProtocolError, "reserved opcode");
        }
        quint64 length = head[1] & 0x7F;
        qsizetype headerBytes = 2;
        if (length == 126) {
            if (available < 4) {
                return false;
            }
            length = qFromBigEndian<quint16>(head + 2);
            headerBytes = 4;
        } else if (length == 127) {
            if (available < 10) {
                return false;
            }
            length = qFromBigEndian<quint64>(head + 2);
            headerBytes = 10;
            if (length >> 63) {
                return fail(ProtocolError, "64-bit length with the top bit set");
            }
        }
        if (control && (!fin || length > 125)) {
            return fail(ProtocolError, "control frame fragmented or longer than 125 bytes");
        }
        if (!control && length > quint64(m_maxMessageBytes - m_fragments.size())) {
            return fail(MessageTooBig, "message larger than the server accepts");
        }
        if (quint64(available) < quint64(headerBytes) + 4 + length) {
            return false;
        }
        const uchar *mask = head + headerBytes;
        QByteArray payload(reinterpret_cast<const char *>(mask + 4), qsizetype(length));
        for (qsizetype i = 0; i < payload.size(); ++i) {
            payload[i] = char(payload[i] ^ mask[i % 4]);
        }
        m_offset += headerBytes + 4 + qsizetype(length);

        if (control) {
            if (opcode == Close && payload.size() == 1) {
                return fail(ProtocolError, "close frame with a one-byte payload");
            }
            message->opcode = opcode;
            message->payload = payload;
            return true;
        }
        if (opcode == Continuation) {
            if (m_fragmentOpcode == 0) {
                return fail(ProtocolError, "continuation frame without a message to continue");
            }
            m_fragments.append(payload);
            if (!fin) {
                continue;
            }
            message->opcode = m_fragmentOpcode;
            message->payload = std::exchange(m_fragments, {});
            m_fragmentOpcode = 0;
            return true;
        }
        if (m_fragmentOpcode != 0) {
            return fail(ProtocolError, "new data frame inside a fragmented message");
        }
        if (!fin) {
            m_fragmentOpcode = opcode;
            m_fragments = payload;
            continue;
        }
        message->opcode = opcode;
        message->payload = payload;
        return true;
    }
}

} // namespace podtap::sim::ws
