// SPDX-License-Identifier: Apache-2.0
#include "common/process.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace podtap::test;

/// @brief Every bad invocation of podtap-agent exits 2 (usage) or 3 (no target) and says what is wrong.
class TestAgentCli final : public QObject
{
    Q_OBJECT

    QString m_agent;
    QTemporaryDir m_procRoot;

private Q_SLOTS:
    void initTestCase()
    {
        m_agent = builtExecutable(QStringLiteral("netlink-agent/podtap-agent"));
        QVERIFY2(QFile::exists(m_agent), qPrintable(m_agent));
        // A fake proc root: pid 4242 runs in a containerd container, pid 77 shares the agent's own netns.
        QVERIFY(QDir().mkpath(m_procRoot.filePath(QStringLiteral("4242"))));
        QFile cgroup(m_procRoot.filePath(QStringLiteral("4242/cgroup")));
        QVERIFY(cgroup.open(QIODevice::WriteOnly));
        cgroup.write("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-aaaa.scope\n");
        cgroup.close();
        QVERIFY(QDir().mkpath(m_procRoot.filePath(QStringLiteral("77/ns"))));
        QFile hostCgroup(m_procRoot.filePath(QStringLiteral("77/cgroup")));
        QVERIFY(hostCgroup.open(QIODevice::WriteOnly));
        hostCgroup.write("0::/kubepods.slice/kubepods-pod2.slice/cri-containerd-bbbb.scope\n");
        hostCgroup.close();
        QVERIFY(QFile::link(QStringLiteral("/proc/self/ns/net"), m_procRoot.filePath(QStringLiteral("77/ns/net"))));
    }

    void versionAndHelp()
    {
        const ProcessResult version = run({m_agent, QStringLiteral("--version")});
        QVERIFY(version.ok());
        QVERIFY(version.out.startsWith("podtap-agent "));
        for (const QString &command : {QStringLiteral("mirror"), QStringLiteral("receive"), QStringLiteral("cleanup"),
                 QStringLiteral("inspect")}) {
            const ProcessResult help = run({m_agent, command, QStringLiteral("--help")});
            QVERIFY2(help.ok(), qPrintable(help.describe({command})));
            QVERIFY2(help.out.contains("usage: podtap-agent " + command.toLatin1()), help.out.constData());
        }
        QVERIFY(run({m_agent, QStringLiteral("--help")}).out.contains("mirror"));
    }

    void rejectsBadInput_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QString>("mentions");
        const QString fake = m_procRoot.path();
        const QStringList mirror = {QStringLiteral("mirror"), QStringLiteral("--netns"), QStringLiteral("/nonexistent"),
            QStringLiteral("--remote"), QStringLiteral("198.51.100.2")};
        const auto withVni = [&](const QStringList &more) {
            return mirror + QStringList {QStringLiteral("--vni"), QStringLiteral("5")} + more;
        };
        QTest::newRow("no command") << QStringList {} << 2 << "missing command";
        QTest::newRow("unknown command") << QStringList {QStringLiteral("tap")} << 2 << "tap";
        QTest::newRow("unknown flag") << withVni({QStringLiteral("--colour")}) << 2 << "--colour";
        QTest::newRow("missing value") << withVni({QStringLiteral("--port")}) << 2 << "--port";
        QTest::newRow("vni zero") << (mirror + QStringList {QStringLiteral("--vni"), QStringLiteral("0")}) << 2
                                  << "--vni";
        QTest::newRow("vni too big") << (mirror + QStringList {QStringLiteral("--vni"), QStringLiteral("16777216")})
                                     << 2 << "--vni";
        QTest::newRow("vni not a number")
            << (mirror + QStringList {QStringLiteral("--vni"), QStringLiteral("4x")}) << 2 << "--vni";
        QTest::newRow("vni missing") << mirror << 2 << "--vni";
        QTest::newRow("port zero") << withVni({QStringLiteral("--port"), QStringLiteral("0")}) << 2 << "--port";
        QTest::newRow("bad remote") << QStringList {QStringLiteral("mirror"), QStringLiteral("--pid"),
                                           QStringLiteral("1"), QStringLiteral("--vni"), QStringLiteral("5"),
                                           QStringLiteral("--remote"), QStringLiteral("198.51.100.300")}
                                    << 2 << "--remote";
        QTest::newRow("bad local") << withVni({QStringLiteral("--local"), QStringLiteral("node-a")}) << 2 << "--local";
        QTest::newRow("remote missing") << QStringList {QStringLiteral("mirror"), QStringLiteral("--pid"),
                                               QStringLiteral("1"), QStringLiteral("--vni"), QStringLiteral("5")}
                                        << 2 << "--remote";
        QTest::newRow("interface too long")
            << withVni({QStringLiteral("--interface"), QStringLiteral("sixteen-bytes-xx")}) << 2 << "--interface";
        QTest::newRow("name too long") << withVni({QStringLiteral("--name"), QStringLiteral("ptap1234567890123")}) << 2
                                       << "--name";
        QTest::newRow("underlay too long")
            << withVni({QStringLiteral("--underlay-dev"), QStringLiteral("0123456789abcdefg")}) << 2
            << "--underlay-dev";
        QTest::newRow("bad direction") << withVni({QStringLiteral("--direction"), QStringLiteral("sideways")}) << 2
                                       << "--direction";
        QTest::newRow("bpf count mismatch")
            << withVni({QStringLiteral("--bpf"), QStringLiteral("2\n6 0 0 262144\n")}) << 2 << "--bpf";
        QTest::newRow("bpf garbage") << withVni({QStringLiteral("--bpf"), QStringLiteral("udp port 53")}) << 2
                                     << "--bpf";
        QTest::newRow("bpf jt too big") << withVni({QStringLiteral("--bpf"), QStringLiteral("1\n6 300 0 262144")}) << 2
                                        << "--bpf";
        QTest::newRow("two targets") << (withVni({}) + QStringList {QStringLiteral("--pid"), QStringLiteral("1")}) << 2
                                     << "only one";
        QTest::newRow("no target") << QStringList {QStringLiteral("cleanup")} << 2 << "--container-id";
        QTest::newRow("bad session") << QStringList {QStringLiteral("cleanup"), QStringLiteral("--pid"),
                                            QStringLiteral("1"), QStringLiteral("--session"), QStringLiteral("a b")}
                                     << 2 << "--session";
        QTest::newRow("bad container id") << QStringList {QStringLiteral("inspect"), QStringLiteral("--container-id"),
                                                 QStringLiteral("containerd://../../etc")}
                                          << 2 << "--container-id";
        QTest::newRow("receive with a target flag")
            << QStringList {QStringLiteral("receive"), QStringLiteral("--vni"), QStringLiteral("5"),
                   QStringLiteral("--pid"), QStringLiteral("1")}
            << 2 << "--pid";
        QTest::newRow("heartbeat timeout zero")
            << withVni({QStringLiteral("--heartbeat-timeout"), QStringLiteral("0")}) << 2 << "--heartbeat-timeout";
        QTest::newRow("netns missing") << withVni({}) << 3 << "/nonexistent";
        QTest::newRow("container not found")
            << QStringList {QStringLiteral("inspect"), QStringLiteral("--container-id"),
                   QStringLiteral("docker://cccc"), QStringLiteral("--proc-root"), fake}
            << 3 << "container cccc";
        QTest::newRow("pod uid not found") << QStringList {QStringLiteral("cleanup"), QStringLiteral("--pod-uid"),
                                                  QStringLiteral("9"), QStringLiteral("--proc-root"), fake}
                                           << 3 << "pod UID 9";
        QTest::newRow("pid not found") << QStringList {QStringLiteral("inspect"), QStringLiteral("--pid"),
                                              QStringLiteral("999999"), QStringLiteral("--proc-root"), fake}
                                       << 3 << "pid 999999";
        QTest::newRow("target shares the node netns")
            << QStringList {QStringLiteral("mirror"), QStringLiteral("--container-id"), QStringLiteral("cri-o://bbbb"),
                   QStringLiteral("--proc-root"), fake, QStringLiteral("--vni"), QStringLiteral("5"),
                   QStringLiteral("--remote"), QStringLiteral("198.51.100.2")}
            << 3 << "shares the agent's own network namespace";
    }

    void rejectsBadInput()
    {
        QFETCH(QStringList, args);
        QFETCH(int, exitCode);
        QFETCH(QString, mentions);
        const ProcessResult result = run(QStringList {m_agent} + args);
        QVERIFY2(!result.crashed && !result.timedOut, qPrintable(result.describe(args)));
        QVERIFY2(result.exitCode == exitCode, qPrintable(result.describe(args)));
        QVERIFY2(QString::fromUtf8(result.err).contains(mentions), qPrintable(result.describe(args)));
        // The console reads the same message from stdout as a JSON error event.
        const QJsonObject event = QJsonDocument::fromJson(result.out.trimmed()).object();
        QCOMPARE(event.value(QStringLiteral("event")).toString(), QStringLiteral("error"));
        QVERIFY(event.value(QStringLiteral("message")).toString().contains(mentions));
        QCOMPARE(event.value(QStringLiteral("exit_code")).toInt(), exitCode);
    }
};

QTEST_GUILESS_MAIN(TestAgentCli)
#include "tst_agent_cli.moc"
