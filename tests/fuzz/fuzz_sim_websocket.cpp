// SPDX-License-Identifier: Apache-2.0
// kube-sim's WebSocket frame parser (tests/sim/websocket.cpp) on hostile client bytes.
//
// Input: byte 0 picks the read sizes, the rest is the stream. Invariants: the messages never depend
// on where reads split the stream; control frames stay within 125 bytes and data messages within
// the limit; after a violation nothing more comes out and nothing stays buffered. Then the same
// bytes, as payload, go through a well-formed masked and fragmented message, which must come back
// unchanged.
#include "fuzz_support.h"
#include "websocket.h"

#include <QList>

#include <cstdint>

using podtap::fuzz::require;
using podtap::sim::ws::FrameParser;

namespace {

constexpr qsizetype kLimit = 4096;

struct Outcome
{
    QList<FrameParser::Message> messages;
    quint16 closeCode = 0;
};

Outcome parse(const QByteArray &stream, int cut)
{
    FrameParser parser(kLimit);
    Outcome outcome;
    qsizetype at = 0;
    while (at < stream.size()) {
        const qsizetype read = cut == 0 ? stream.size() : 1 + (cut + at) % 37;
        parser.append(stream.mid(at, read));
        at += read;
        FrameParser::Message message;
        while (parser.next(&message)) {
            const bool control = message.opcode & 0x08;
            require(!control || message.payload.size() <= 125, "a control frame over 125 bytes came out");
            require(message.payload.size() <= kLimit, "a data message over the limit came out");
            require(message.opcode != podtap::sim::ws::Continuation, "a bare continuation came out");
            outcome.messages.append(message);
        }
        if (parser.failed()) {
            require(parser.bufferedBytes() == 0, "a failed parser still holds bytes");
            require(!parser.next(&message), "a failed parser produced a message");
            outcome.closeCode = parser.closeCode();
            break;
        }
    }
    return outcome;
}

QByteArray maskedFrame(bool fin, quint8 opcode, const QByteArray &payload, const char key[4])
{
    QByteArray frame;
    frame.append(char((fin ? 0x80 : 0) | opcode));
    const qsizetype n = payload.size();
    if (n < 126) {
        frame.append(char(0x80 | n));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char(n >> 8));
        frame.append(char(n & 0xFF));
    }
    frame.append(key, 4);
    for (qsizetype i = 0; i < n; ++i) {
        frame.append(char(payload[i] ^ key[i % 4]));
    }
    return frame;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    const QByteArray input = podtap::fuzz::bytes(data, size);
    const int cut = quint8(input[0]);
    const QByteArray stream = input.mid(1);

    const Outcome whole = parse(stream, 0);
    const Outcome pieces = parse(stream, cut);
    require(whole.closeCode == pieces.closeCode, "where reads split the stream changed the verdict");
    require(whole.messages.size() == pieces.messages.size(), "where reads split the stream changed the messages");
    for (qsizetype i = 0; i < whole.messages.size(); ++i) {
        require(whole.messages[i].opcode == pieces.messages[i].opcode &&
                whole.messages[i].payload == pieces.messages[i].payload,
            "where reads split the stream changed a message");
    }

    // A valid message carrying the input: fragmented by `cut`, masked, with a ping in between.
    const QByteArray payload = stream.left(kLimit);
    const char key[4] = {char(cut), char(cut * 7), char(0x5A), char(cut ^ 0xFF)};
    const qsizetype piece = 1 + cut % 300;
    QByteArray valid;
    for (qsizetype at = 0; at < payload.size() || at == 0; at += piece) {
        const bool last = at + piece >= payload.size();
        valid += maskedFrame(
            last, at == 0 ? podtap::sim::ws::Binary : podtap::sim::ws::Continuation, payload.mid(at, piece), key);
        if (at == 0) {
            valid += maskedFrame(true, podtap::sim::ws::Ping, payload.left(125), key);
        }
        if (last) {
            break;
        }
    }
    const Outcome echoed = parse(valid, cut);
    require(echoed.closeCode == 0, "a well-formed message was refused");
    require(echoed.messages.size() == 2, "a well-formed message did not come out as ping + message");
    // The ping comes out first when it sits between fragments, after a one-frame message.
    const bool fragmented = payload.size() > piece;
    const FrameParser::Message &ping = echoed.messages[fragmented ? 0 : 1];
    const FrameParser::Message &message = echoed.messages[fragmented ? 1 : 0];
    require(ping.opcode == podtap::sim::ws::Ping && ping.payload == payload.left(125), "the ping changed");
    require(message.opcode == podtap::sim::ws::Binary && message.payload == payload, "the fragmented message changed");
    return 0;
}
