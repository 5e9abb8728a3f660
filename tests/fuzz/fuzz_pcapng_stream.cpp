// SPDX-License-Identifier: Apache-2.0
// PcapngStreamReader on a hostile stream cut into arbitrary chunks (as an exec stream's stdout
// arrives): the blocks never depend on where the chunks split the stream, every block delivered is
// whole and within the limits, the reader never holds more than one block plus one chunk, and a
// resynchronisation after a gap never breaks those rules.
#include "fuzz_support.h"
#include "receive/pcapng_stream_reader.h"

#include <QtEndian>

using namespace podtap;
using podtap::fuzz::require;
using receive::PcapngBlock;
using receive::PcapngStreamReader;

namespace {

void checkBlocks(const PcapngStreamReader &reader, const QList<PcapngBlock> &blocks)
{
    for (const PcapngBlock &block : blocks) {
        require(block.raw.size() >= 12 && block.raw.size() % 4 == 0 &&
                block.raw.size() <= qsizetype(PcapngStreamReader::kMaxBlockBytes),
            "a block delivered outside the length limits");
        const std::uint32_t length = block.bigEndian ? qFromBigEndian<std::uint32_t>(block.raw.constData() + 4)
                                                     : qFromLittleEndian<std::uint32_t>(block.raw.constData() + 4);
        require(qsizetype(length) == block.raw.size(), "a block's bytes differ from its length field");
        if (block.type == PcapngBlock::Type::EnhancedPacket) {
            require(block.packet.data.size() == qsizetype(block.packet.capturedLength),
                "packet data differs from its captured length");
            require(block.packet.data.size() < block.raw.size(), "packet data larger than its block");
        }
    }
    require(!reader.hasError() || reader.pendingBytes() == 0, "bytes held after an error");
}

QList<PcapngBlock> feed(PcapngStreamReader &reader, const QByteArray &stream, const QByteArray &cuts, bool gap)
{
    QList<PcapngBlock> blocks;
    qsizetype at = 0;
    for (qsizetype i = 0; at < stream.size(); ++i) {
        const qsizetype size = qMin<qsizetype>(
            cuts.isEmpty() ? stream.size() : 1 + quint8(cuts.at(i % cuts.size())) * 37, stream.size() - at);
        if (gap && i == 1) {
            reader.resynchronize(); // the chunk before this one is treated as following a gap
        }
        const QList<PcapngBlock> got = reader.append(QByteArrayView(stream).sliced(at, size));
        checkBlocks(reader, got);
        require(reader.pendingBytes() <= qsizetype(PcapngStreamReader::kMaxBlockBytes) + size,
            "the reader holds more than one block plus one chunk");
        blocks += got;
        at += size;
    }
    return blocks;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Layout: one byte N, then N bytes of chunk sizes, then the stream.
    const QByteArray input = fuzz::bytes(data, size);
    const qsizetype cutBytes = input.isEmpty() ? 0 : qMin<qsizetype>(quint8(input.at(0)) % 16, input.size() - 1);
    const QByteArray cuts = input.mid(1, cutBytes);
    const QByteArray stream = input.mid(1 + cutBytes);

    PcapngStreamReader whole;
    const QList<PcapngBlock> oneRead = feed(whole, stream, {}, false);
    PcapngStreamReader pieces;
    const QList<PcapngBlock> manyReads = feed(pieces, stream, cuts, false);
    require(oneRead.size() == manyReads.size(), "the number of blocks depends on the chunks");
    for (qsizetype i = 0; i < oneRead.size(); ++i) {
        require(oneRead.at(i).raw == manyReads.at(i).raw, "a block depends on the chunks");
    }
    require(whole.hasError() == pieces.hasError(), "an error depends on the chunks");
    require(whole.errorString() == pieces.errorString(), "the error text depends on the chunks");

    PcapngStreamReader resynced;
    feed(resynced, stream, cuts, true);
    return 0;
}
