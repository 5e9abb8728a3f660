// SPDX-License-Identifier: Apache-2.0
// LineFramer on a hostile stream cut into arbitrary reads: the lines never depend on where the reads
// split the stream, a line over the limit is dropped rather than buffered, and nothing is invented.
#include "fuzz_support.h"
#include "kube/line_framer.h"

#include <QByteArrayList>

using namespace podtap;
using podtap::fuzz::require;

namespace {

QByteArray chopCr(QByteArray line)
{
    if (line.endsWith('\r')) {
        line.chop(1);
    }
    return line;
}

/// Feeds @p stream to @p framer in reads whose sizes come from @p cuts; returns every line, and the
/// remainder last.
QByteArrayList frame(kube::LineFramer &framer, const QByteArray &stream, const QByteArray &cuts, qsizetype limit)
{
    QByteArrayList lines;
    qsizetype at = 0;
    for (qsizetype i = 0; at < stream.size(); ++i) {
        const qsizetype read = cuts.isEmpty() ? stream.size() : 1 + quint8(cuts.at(i % cuts.size())) % 64;
        lines += framer.append(stream.mid(at, read));
        at += read;
        require(framer.pendingBytes() <= limit, "the framer buffers more than its limit");
    }
    lines.append(framer.takeRemainder());
    require(framer.pendingBytes() == 0, "takeRemainder leaves bytes behind");
    return lines;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // Layout: one byte N, then N bytes of read sizes, then the stream.
    const QByteArray input = fuzz::bytes(data, size);
    const qsizetype cutBytes = input.isEmpty() ? 0 : qMin<qsizetype>(quint8(input.at(0)) % 16, input.size() - 1);
    const QByteArray cuts = input.mid(1, cutBytes);
    const QByteArray stream = input.mid(1 + cutBytes);

    QByteArrayList expected;
    for (const QByteArray &line : stream.split('\n')) {
        expected.append(chopCr(line));
    }

    // Without a binding limit the lines are exactly the stream's, however it was cut.
    kube::LineFramer whole;
    const QByteArrayList oneRead = frame(whole, stream, {}, stream.size());
    kube::LineFramer pieces;
    const QByteArrayList manyReads = frame(pieces, stream, cuts, stream.size());
    require(oneRead == expected, "lines read in one piece differ from the stream's lines");
    require(manyReads == expected, "lines depend on how the reads split the stream");
    require(!whole.overflowed() && !pieces.overflowed(), "overflow reported below the limit");

    // With a small limit: each line delivered is a line of the stream, in order, and a dropped line
    // is reported. (Whether a line longer than the limit is dropped depends on the reads: the limit
    // bounds buffered bytes, and a long line that arrives with its newline in one read is delivered.)
    const qsizetype limit = 1 + (cuts.isEmpty() ? 8 : quint8(cuts.at(0)) % 32);
    kube::LineFramer bounded(limit);
    const QByteArrayList kept = frame(bounded, stream, cuts, limit);
    qsizetype next = 0;
    for (qsizetype i = 0; i + 1 < kept.size(); ++i) {
        while (next < expected.size() && expected.at(next) != kept.at(i)) {
            ++next;
        }
        require(next < expected.size(), "a delivered line is not a line of the stream, or is out of order");
        ++next;
    }
    require(bounded.overflowed() || kept == expected, "lines were lost without an overflow being reported");
    return 0;
}
