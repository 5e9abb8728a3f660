// SPDX-License-Identifier: Apache-2.0
#include "line_framer.h"

namespace podtap::kube {

LineFramer::LineFramer(qsizetype maxLineBytes)
    : m_maxLineBytes(maxLineBytes)
{
}

QByteArrayList LineFramer::append(const QByteArray &chunk)
{
    QByteArrayList lines;
    qsizetype start = 0;
    for (;;) {
        const qsizetype newline = chunk.indexOf('\n', start);
        if (newline < 0) {
            break;
        }
        if (m_discarding) {
            // The tail of a line that was too long: drop it, resume at the next line.
            m_discarding = false;
            start = newline + 1;
            continue;
        }
        QByteArray line;
        if (m_pending.isEmpty()) {
            line = chunk.mid(start, newline - start);
        } else {
            line = std::move(m_pending);
            m_pending.clear();
            line.append(QByteArrayView(chunk).sliced(start, newline - start));
        }
        start = newline + 1;
        if (line.size() > m_maxLineBytes) {
            // Too long whether it came in one read or many: the same line is always dropped.
            m_overflowed = true;
            ++m_droppedLines;
            continue;
        }
        if (line.endsWith('\r')) {
            line.chop(1);
        }
        lines.append(std::move(line));
    }
    if (start < chunk.size() && !m_discarding) {
        m_pending.append(QByteArrayView(chunk).sliced(start));
        if (m_pending.size() > m_maxLineBytes) {
            m_pending.clear();
            m_overflowed = true;
            m_discarding = true;
            ++m_droppedLines; // counted once, now; its tail is skipped up to the next newline
        }
    }
    return lines;
}

QByteArray LineFramer::takeRemainder()
{
    // The stream ended: a line being discarded ends with it, and the framer starts clean.
    m_discarding = false;
    QByteArray rest = std::move(m_pending);
    m_pending.clear();
    if (rest.endsWith('\r')) {
        rest.chop(1);
    }
    return rest;
}

} // namespace podtap::kube
