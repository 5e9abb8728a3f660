// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <QByteArray>

namespace podtap::sim::ws {

/// RFC 6455 opcodes.
enum Opcode : quint8 {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

/// Close codes the server sends (RFC 6455 7.4.1).
enum CloseCode : quint16 {
    NormalClosure = 1000,
    GoingAway = 1001,
    ProtocolError = 1002,
    MessageTooBig = 1009,
    InternalError = 1011,
};

/// The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key (RFC 6455 4.2.2).
QByteArray acceptKey(const QByteArray &clientKey);

/// One unfragmented, unmasked frame, as a server sends it.
QByteArray encodeFrame(quint8 opcode, const QByteArray &payload);
/// A close frame carrying @p code and @p reason (the reason cut to fit a control frame).
QByteArray encodeClose(quint16 code, const QByteArray &reason = {});

/// @brief Incremental parser of the frames a client sends: enforces masking and the control-frame
/// rules, and reassembles fragmented data messages.
///
/// A violation stops the parser for good: failed() turns true, closeCode() says which close code
/// the server answers with, and next() returns nothing more. Text messages are not checked for
/// valid UTF-8 (the exec channels carry bytes; python3-kubernetes sends stdin as text).
class FrameParser final
{
public:
    /// A complete data message (Text or Binary, reassembled) or one control frame.
    struct Message
    {
        quint8 opcode = 0;
        QByteArray payload;
    };

    explicit FrameParser(qsizetype maxMessageBytes = 16 * 1024 * 1024);

    void append(const QByteArray &data);
    /// Takes the next complete message; false when more bytes are needed or after an error.
    bool next(Message *message);

    bool failed() const { return m_closeCode != 0; }
    quint16 closeCode() const { return m_closeCode; }
    QByteArray error() const { return m_error; }
    /// Bytes held: unparsed input plus the fragments of an unfinished message.
    qsizetype bufferedBytes() const { return m_buffer.size() - m_offset + m_fragments.size(); }

private:
    bool fail(quint16 code, const char *why);

    qsizetype m_maxMessageBytes;
    QByteArray m_buffer;
    qsizetype m_offset = 0;
    QByteArray m_fragments;
    quint8 m_fragmentOpcode = 0; // opcode of the unfinished fragmented message; 0: none
    quint16 m_closeCode = 0;
    QByteArray m_error;
};

} // namespace podtap::sim::ws
