// SPDX-License-Identifier: Apache-2.0
// The one capture description and launch path: the checks a tool choice gets against the
// destination, and the command and Wireshark profile a launch prepares from a session's hosts file.
#include "capture/capture_launch.h"
#include "capture/pod_hosts_file.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

/// @brief CaptureOptions says what cannot work, and prepareCapture() names pods for every tool.
class TestCaptureLaunch final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void toolNamesRoundTrip()
    {
        for (const CaptureTool tool : {CaptureTool::None, CaptureTool::Tshark, CaptureTool::Wireshark}) {
            QCOMPARE(parseCaptureTool(captureToolKey(tool)), std::optional<CaptureTool>(tool));
        }
        QCOMPARE(parseCaptureTool(QStringLiteral("tcpdump")), std::nullopt);
        QCOMPARE(parseCaptureTool(QStringLiteral("Wireshark")), std::nullopt);
    }

    void optionsAreCheckedAgainstTheDestination()
    {
        CaptureOptions options;
        QVERIFY(options.problems(true).isEmpty());
        QVERIFY(options.problems(false).isEmpty()); // no tool: a tunnel to anywhere is fine

        options.tool = CaptureTool::Wireshark;
        QVERIFY(options.problems(true).isEmpty());
        const QStringList elsewhere = options.problems(false);
        QCOMPARE(elsewhere.size(), 1);
        QVERIFY2(elsewhere.first().contains(QLatin1String("Wireshark can only run on this machine")),
            qPrintable(elsewhere.first()));

        options.outputFile = QStringLiteral("/tmp/x.pcapng");
        options.packetCount = 10;
        const QStringList needsTshark = options.problems(true);
        QCOMPARE(needsTshark.size(), 2);
        QVERIFY(needsTshark.at(0).contains(QLatin1String("file needs tshark")));
        QVERIFY(needsTshark.at(1).contains(QLatin1String("needs tshark")));

        options.tool = CaptureTool::Tshark;
        QVERIFY(options.problems(true).isEmpty());
        options.packetCount = -1;
        QCOMPARE(options.problems(true).size(), 1);
    }

    void wiresharkGetsTheSessionsHostsFileAsItsProfile()
    {
        QTemporaryDir dir;
        const QString hosts = dir.filePath(QStringLiteral("hosts-session"));
        QString error;
        QVERIFY2(writePodHostsFile(hosts,
                     {{QStringLiteral("198.51.100.4"), QStringLiteral("shop"), QStringLiteral("cart-0")}}, &error),
            qPrintable(error));
        const CaptureLaunchEnvironment environment {
            CaptureTools {QStringLiteral("/opt/ws/wireshark"), QStringLiteral("/opt/ws/tshark"), {}},
            dir.filePath(QStringLiteral("config"))};

        CaptureOptions options;
        options.tool = CaptureTool::Wireshark;
        options.interfaceName = QStringLiteral("ptap7");
        options.hostsFile = hosts;
        const CaptureCommand wireshark = prepareCapture(options, environment);
        QVERIFY2(wireshark.ok(), qPrintable(wireshark.error));
        QCOMPARE(wireshark.toString(), QStringLiteral("/opt/ws/wireshark -k -i ptap7 -N n -C podtap"));
        QFile profile(dir.filePath(QStringLiteral("config/profiles/podtap/hosts")));
        QVERIFY(profile.open(QIODevice::ReadOnly));
        QVERIFY(profile.readAll().contains("198.51.100.4\tshop/cart-0"));

        options.tool = CaptureTool::Tshark;
        const CaptureCommand tshark = prepareCapture(options, environment);
        QCOMPARE(tshark.toString(), QStringLiteral("/opt/ws/tshark -i ptap7 -l -N n -H ") + hosts);

        // Without a hosts file there is nothing to name pods with: no profile.
        options.tool = CaptureTool::Wireshark;
        options.hostsFile.clear();
        QCOMPARE(prepareCapture(options, environment).toString(), QStringLiteral("/opt/ws/wireshark -k -i ptap7"));
    }
};

QTEST_GUILESS_MAIN(TestCaptureLaunch)
#include "tst_capture_launch.moc"
