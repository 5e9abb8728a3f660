// SPDX-License-Identifier: Apache-2.0
#include "kube/line_framer.h"

#include <QtTest>

using podtap::kube::LineFramer;

class TestLineFramer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void lineSplitAcrossManyReads()
    {
        LineFramer framer;
        const QByteArray line = R"({"type":"ADDED","object":{"metadata":{"name":"web-0"}}})";
        QByteArrayList seen;
        for (qsizetype i = 0; i < line.size(); i += 7) {
            seen += framer.append(line.mid(i, 7));
        }
        QVERIFY(seen.isEmpty());
        seen += framer.append("\n");
        QCOMPARE(seen, QByteArrayList {line});
        QCOMPARE(framer.pendingBytes(), 0);
    }

    void severalLinesInOneRead()
    {
        LineFramer framer;
        const QByteArrayList lines = framer.append("a\nbb\r\nccc\ndd");
        QCOMPARE(lines, (QByteArrayList {"a", "bb", "ccc"}));
        QCOMPARE(framer.append("d\n"), QByteArrayList {"ddd"});
    }

    void remainderAtEndOfStream()
    {
        LineFramer framer;
        QCOMPARE(framer.append("last line without newline"), QByteArrayList {});
        QCOMPARE(framer.takeRemainder(), QByteArray("last line without newline"));
        QCOMPARE(framer.takeRemainder(), QByteArray());
    }

    void overlongLineIsDroppedAndFramingRecovers()
    {
        LineFramer framer(16);
        QVERIFY(framer.append(QByteArray(10, 'x')).isEmpty());
        QVERIFY(framer.append(QByteArray(10, 'x')).isEmpty());
        QVERIFY(framer.overflowed());
        // The rest of the long line is skipped; the next line arrives intact.
        QCOMPARE(framer.append("xxxx\nnext\n"), QByteArrayList {"next"});
    }

    void overlongLineIsDroppedHoweverTheReadsSplitIt()
    {
        const QByteArray stream = QByteArray(20, 'x') + "\nok\n";
        for (qsizetype split = 0; split <= stream.size(); ++split) {
            LineFramer framer(16);
            QByteArrayList lines = framer.append(stream.left(split));
            lines += framer.append(stream.mid(split));
            QCOMPARE(lines, QByteArrayList {"ok"});
            QVERIFY(framer.overflowed());
            QCOMPARE(framer.droppedLines(), 1); // one long line is one drop, however it was split
        }
    }

    void eachDroppedLineIsCounted()
    {
        LineFramer framer(4);
        QCOMPARE(framer.append("longer\nok\nlonger still\n"), QByteArrayList {"ok"});
        QCOMPARE(framer.droppedLines(), 2);
        framer.setMaxLineBytes(64);
        QCOMPARE(framer.append("longer\n"), QByteArrayList {"longer"});
        QCOMPARE(framer.droppedLines(), 2);
    }

    void aNewStreamAfterAnOverflowStartsClean()
    {
        LineFramer framer(4);
        QVERIFY(framer.append("toolong").isEmpty());
        QCOMPARE(framer.takeRemainder(), QByteArray());
        QCOMPARE(framer.append("one\n"), QByteArrayList {"one"});
    }
};

QTEST_GUILESS_MAIN(TestLineFramer)
#include "tst_line_framer.moc"
