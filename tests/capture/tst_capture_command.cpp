// SPDX-License-Identifier: Apache-2.0
#include "capture/capture_command.h"
#include "capture/capture_tools.h"
#include "capture/pod_hosts_file.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap;

namespace {

CaptureTools fakeTools()
{
    return CaptureTools {
        QStringLiteral("/opt/ws/wireshark"), QStringLiteral("/opt/ws/tshark"), QStringLiteral("/opt/ws/dumpcap")};
}

void makeExecutable(const QString &path)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("#!/bin/sh\n");
    file.close();
    QVERIFY(file.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
}

} // namespace

/// @brief Wireshark/tshark command lines, tool discovery, capture-rights advice and the pod-name hosts file.
class TestCaptureCommand final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void commandLines_data()
    {
        QTest::addColumn<int>("tool");
        QTest::addColumn<QString>("output");
        QTest::addColumn<int>("count");
        QTest::addColumn<QString>("hosts");
        QTest::addColumn<bool>("profile");
        QTest::addColumn<QString>("expected");
        const int ws = int(CaptureOptions::Tool::Wireshark);
        const int ts = int(CaptureOptions::Tool::Tshark);
        QTest::newRow("wireshark") << ws << QString() << 0 << QString() << false << "/opt/ws/wireshark -k -i ptap42";
        QTest::newRow("wireshark with names and file")
            << ws << "/tmp/cap.pcapng" << 0 << QString() << true
            << "/opt/ws/wireshark -k -i ptap42 -N n -C podtap -w /tmp/cap.pcapng";
        QTest::newRow("tshark") << ts << QString() << 0 << QString() << false << "/opt/ws/tshark -i ptap42 -l";
        QTest::newRow("tshark everything")
            << ts << "/tmp/out file.pcapng" << 100 << "/tmp/hosts" << false
            << "/opt/ws/tshark -i ptap42 -l -N n -H /tmp/hosts -w '/tmp/out file.pcapng' -P -c 100";
    }

    void commandLines()
    {
        QFETCH(int, tool);
        QFETCH(QString, output);
        QFETCH(int, count);
        QFETCH(QString, hosts);
        QFETCH(bool, profile);
        QFETCH(QString, expected);
        CaptureOptions options;
        options.tool = CaptureOptions::Tool(tool);
        options.interfaceName = QStringLiteral("ptap42");
        options.outputFile = output;
        options.packetCount = count;
        options.hostsFile = hosts;
        options.useProfile = profile;
        const CaptureCommand command = buildCaptureCommand(options, fakeTools());
        QVERIFY2(command.ok(), qPrintable(command.error));
        QCOMPARE(command.toString(), expected);
    }

    void commandErrors()
    {
        CaptureOptions options;
        options.interfaceName = QStringLiteral("ptap42");
        QVERIFY2(!buildCaptureCommand(options, fakeTools()).ok(), "no tool chosen: nothing to run");
        options.tool = CaptureTool::Tshark;
        CaptureCommand command = buildCaptureCommand(options, CaptureTools {});
        QVERIFY(!command.ok());
        QVERIFY2(command.error.contains(QLatin1String("tshark was not found")) &&
                command.error.contains(QLatin1String("apt install")),
            qPrintable(command.error));
        options.interfaceName = QStringLiteral("eth0; rm -rf /");
        command = buildCaptureCommand(options, fakeTools());
        QVERIFY2(!command.ok() && command.error.contains(QLatin1String("not a Linux interface name")),
            qPrintable(command.error));
    }

    void findsToolsInPathThenUsualPlaces()
    {
        QTemporaryDir first;
        QTemporaryDir second;
        QTemporaryDir extra;
        makeExecutable(second.filePath(QStringLiteral("tshark")));
        makeExecutable(extra.filePath(QStringLiteral("tshark")));
        makeExecutable(extra.filePath(QStringLiteral("wireshark")));
        QFile notExecutable(first.filePath(QStringLiteral("wireshark")));
        QVERIFY(notExecutable.open(QIODevice::WriteOnly));
        notExecutable.close();
        const QStringList path {first.path(), second.path()};
        QCOMPARE(
            findExecutable(QStringLiteral("tshark"), path, {extra.path()}), second.filePath(QStringLiteral("tshark")));
        QCOMPARE(findExecutable(QStringLiteral("wireshark"), path, {extra.path()}),
            extra.filePath(QStringLiteral("wireshark")));
        QCOMPARE(findExecutable(QStringLiteral("dumpcap"), path, {extra.path()}), QString());
        const QStringList usual = usualCaptureToolDirs();
        for (const char *dir : {"/usr/bin", "/usr/local/bin", "/usr/sbin", "/snap/bin", "/var/lib/flatpak/exports/bin",
                 "/Applications/Wireshark.app/Contents/MacOS"}) {
            QVERIFY2(usual.contains(QLatin1String(dir)), dir);
        }
    }

    void captureRightsAdvice()
    {
        CaptureRightsFacts facts;
        QVERIFY(!evaluateCaptureRights(facts).canCapture);
        QVERIFY(evaluateCaptureRights(facts).problem.contains(QLatin1String("dumpcap was not found")));

        facts.dumpcapPath = QStringLiteral("/usr/bin/dumpcap");
        facts.isRoot = true;
        QVERIFY(evaluateCaptureRights(facts).canCapture);

        // Debian's layout after dpkg-reconfigure: root:wireshark 0750 with file caps.
        facts.isRoot = false;
        facts.fileGroup = QStringLiteral("wireshark");
        facts.executable = false;
        facts.hasFileCapabilities = true;
        CaptureRights rights = evaluateCaptureRights(facts);
        QVERIFY(!rights.canCapture);
        QVERIFY2(rights.fix.contains(QLatin1String("sudo usermod -aG wireshark $USER")), qPrintable(rights.fix));

        facts.executable = true;
        facts.inFileGroup = true;
        QVERIFY(evaluateCaptureRights(facts).canCapture);

        // Debian's default (no capture rights for non-root).
        facts.fileGroup = QStringLiteral("root");
        facts.hasFileCapabilities = false;
        rights = evaluateCaptureRights(facts);
        QVERIFY(!rights.canCapture);
        QVERIFY2(rights.problem.contains(QLatin1String("/usr/bin/dumpcap")), qPrintable(rights.problem));
        QVERIFY2(rights.fix.contains(QLatin1String("sudo dpkg-reconfigure wireshark-common")), qPrintable(rights.fix));
        QVERIFY2(rights.fix.contains(QLatin1String("sudo usermod -aG wireshark $USER")), qPrintable(rights.fix));
        QVERIFY2(rights.fix.contains(QLatin1String("sudo setcap cap_net_raw,cap_net_admin+eip /usr/bin/dumpcap")),
            qPrintable(rights.fix));

        facts.setuidRoot = true;
        QVERIFY(evaluateCaptureRights(facts).canCapture);
    }

    void readsFactsOfARealFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("dumpcap"));
        makeExecutable(path);
        const CaptureRightsFacts facts = captureRightsFacts(path);
        QCOMPARE(facts.dumpcapPath, path);
        QVERIFY(facts.executable);
        QVERIFY(!facts.hasFileCapabilities);
        QVERIFY(!facts.setuidRoot);
        QVERIFY(facts.inFileGroup); // our own file, our own group
    }

    void hostsFileContent()
    {
        const QList<PodAddress> pods {
            {QStringLiteral("203.0.113.9"), QStringLiteral("shop"), QStringLiteral("cart-0")},
            {QStringLiteral("192.0.2.20"), QStringLiteral("db"), QStringLiteral("postgres-0")},
            {QStringLiteral("2001:DB8:0::5"), QStringLiteral("shop"), QStringLiteral("web-1")},
            {QStringLiteral("192.0.2.20"), QStringLiteral("db"), QStringLiteral("later-pod-same-ip")},
            {QStringLiteral("not-an-ip"), QStringLiteral("shop"), QStringLiteral("x")},
            {QStringLiteral("192.0.2.21"), QStringLiteral("shop"), QStringLiteral("evil\n192.0.2.1\tkube-apiserver")},
            {QStringLiteral("192.0.2.22"), QStringLiteral("Bad NS"), QStringLiteral("x")},
        };
        QCOMPARE(podHostsFileContent(pods),
            QByteArray("# Written by podtap: pod IPs as namespace/pod. Rewritten on every tap.\n"
                       "192.0.2.20\tdb/postgres-0\n"
                       "2001:db8::5\tshop/web-1\n"
                       "203.0.113.9\tshop/cart-0\n"));
    }

    void profileIsWrittenWhereWiresharkLooks()
    {
        QTemporaryDir config;
        QString error;
        const QString profile = writeWiresharkProfile(
            config.path(), {{QStringLiteral("192.0.2.7"), QStringLiteral("a"), QStringLiteral("b")}}, &error);
        QVERIFY2(!profile.isEmpty(), qPrintable(error));
        QCOMPARE(profile, config.filePath(QStringLiteral("profiles/podtap")));
        QFile hosts(config.filePath(QStringLiteral("profiles/podtap/hosts")));
        QVERIFY(hosts.open(QIODevice::ReadOnly));
        QVERIFY(hosts.readAll().contains("192.0.2.7\ta/b\n"));

        qputenv("WIRESHARK_CONFIG_DIR", "/somewhere/ws");
        QCOMPARE(wiresharkPersonalConfigDir(), QStringLiteral("/somewhere/ws"));
        qunsetenv("WIRESHARK_CONFIG_DIR");
        qputenv("XDG_CONFIG_HOME", "/xdg");
        QCOMPARE(wiresharkPersonalConfigDir(), QStringLiteral("/xdg/wireshark"));
        qunsetenv("XDG_CONFIG_HOME");

        QVERIFY(!writePodHostsFile(QStringLiteral("/nonexistent-dir/hosts"), {}, &error));
        QVERIFY2(error.contains(QLatin1String("/nonexistent-dir/hosts")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestCaptureCommand)
#include "tst_capture_command.moc"
