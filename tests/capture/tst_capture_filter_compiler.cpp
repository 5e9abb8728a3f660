// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_filter_compiler.h"
#include "support/process.h"

#include <QStandardPaths>
#include <QTest>

using namespace podtap;
using namespace podtap::test;

/// @brief Capture filters compile to exactly the classic BPF tcpdump produces, and bad ones say why.
class TestCaptureFilterCompiler final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameBytecodeAsTcpdump_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::newRow("empty") << QString();
        QTest::newRow("tcp port") << QStringLiteral("tcp port 80");
        QTest::newRow("host and proto") << QStringLiteral("host 192.0.2.10 and udp");
        QTest::newRow("not and net") << QStringLiteral("not (net 198.51.100.0/24 or icmp)");
        QTest::newRow("ipv6") << QStringLiteral("ip6 and tcp dst port 443");
        QTest::newRow("vlan") << QStringLiteral("vlan and port 53");
        QTest::newRow("port range") << QStringLiteral("tcp portrange 8000-8100 and tcp[tcpflags] & tcp-syn != 0");
        QTest::newRow("ether") << QStringLiteral("ether host 02:00:00:00:00:01 or arp");
    }

    void sameBytecodeAsTcpdump()
    {
        QFETCH(QString, filter);
        if (QStandardPaths::findExecutable(QStringLiteral("tcpdump")).isEmpty() &&
            QStandardPaths::findExecutable(
                QStringLiteral("tcpdump"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin")})
                .isEmpty()) {
            QSKIP("tcpdump is not installed (scripts/install-deps.sh test installs it)");
        }
        const CompiledFilter compiled = compileCaptureFilter(filter);
        QVERIFY2(compiled.ok(), qPrintable(compiled.error));
        QVERIFY(!compiled.program.isEmpty());
        // -y EN10MB: compile for Ethernet without opening an interface (no root needed).
        QStringList command {
            QStringLiteral("tcpdump"), QStringLiteral("-y"), QStringLiteral("EN10MB"), QStringLiteral("-ddd")};
        if (!filter.isEmpty()) {
            command << filter;
        }
        const ProcessResult tcpdump = run(command);
        QVERIFY2(tcpdump.ok(), qPrintable(tcpdump.describe(command)));
        QCOMPARE(compiled.toTcpdumpDdd(), QString::fromLatin1(tcpdump.out));
        // The agent's one-line form carries the same numbers.
        QString joined = QString::fromLatin1(tcpdump.out).trimmed();
        joined.replace(QLatin1Char('\n'), QLatin1Char(','));
        QCOMPARE(compiled.toArgument(), joined);
    }

    void badFiltersSayWhy_data()
    {
        QTest::addColumn<QString>("filter");
        QTest::addColumn<QString>("reason");
        QTest::newRow("dangling") << QStringLiteral("tcp port") << QStringLiteral("syntax error");
        QTest::newRow("unknown word") << QStringLiteral("tcp prot 80") << QStringLiteral("prot");
        QTest::newRow("bad port") << QStringLiteral("port 99999") << QStringLiteral("99999");
        QTest::newRow("unbalanced") << QStringLiteral("(udp") << QStringLiteral("syntax error");
    }

    void badFiltersSayWhy()
    {
        QFETCH(QString, filter);
        QFETCH(QString, reason);
        const CompiledFilter compiled = compileCaptureFilter(filter);
        QVERIFY(!compiled.ok());
        QVERIFY(compiled.program.isEmpty());
        QVERIFY2(compiled.error.contains(QStringLiteral("capture filter \"%1\" does not compile").arg(filter)),
            qPrintable(compiled.error));
        QVERIFY2(compiled.error.contains(reason), qPrintable(compiled.error));
    }

    void nulByteIsRefused()
    {
        const CompiledFilter compiled =
            compileCaptureFilter(QStringLiteral("udp") + QChar(0) + QStringLiteral(" or tcp"));
        QVERIFY(!compiled.ok());
        QVERIFY2(compiled.error.contains(QLatin1String("NUL")), qPrintable(compiled.error));
    }

    void rawIpLinkType()
    {
        // A pod interface without Ethernet headers (e.g. a tun device) needs offsets from the IP header.
        const CompiledFilter ether = compileCaptureFilter(QStringLiteral("udp"));
        const CompiledFilter raw = compileCaptureFilter(QStringLiteral("udp"), FilterLinkType::RawIp);
        QVERIFY(ether.ok() && raw.ok());
        QVERIFY(ether.program != raw.program);
    }
};

QTEST_GUILESS_MAIN(TestCaptureFilterCompiler)
#include "tst_capture_filter_compiler.moc"
