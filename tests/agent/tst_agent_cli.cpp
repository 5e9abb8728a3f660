// SPDX-License-Identifier: Apache-2.0
#include "json_line.h"
#include "support/process.h"

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

    /// The error event: on stdout, or for stream (whose stdout carries pcapng) on stderr, which then holds
    /// nothing else.
    static QJsonObject errorEvent(const QStringList &args, const ProcessResult &result)
    {
        const bool stream = !args.isEmpty() && args.first() == QStringLiteral("stream");
        if (stream) {
            [&] { QVERIFY2(result.out.isEmpty(), result.out.constData()); }();
        }
        return QJsonDocument::fromJson((stream ? result.err : result.out).trimmed()).object();
    }

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
        // The project version the agent was built from and its contract level, as `ready` reports them.
        QVERIFY2(version.out.contains(" " PODTAP_EXPECTED_VERSION " ") && version.out.contains("contract 2"),
            version.out.constData());
        for (const QString &command : {QStringLiteral("mirror"), QStringLiteral("receive"), QStringLiteral("cleanup"),
                 QStringLiteral("inspect"), QStringLiteral("stream"), QStringLiteral("hold")}) {
            const ProcessResult help = run({m_agent, command, QStringLiteral("--help")});
            QVERIFY2(help.ok(), qPrintable(help.describe({command})));
            QVERIFY2(help.out.contains("usage: podtap-agent " + command.toLatin1()), help.out.constData());
        }
        const QByteArray overview = run({m_agent, QStringLiteral("--help")}).out;
        QVERIFY(overview.contains("mirror") && overview.contains("stream") && overview.contains("hold"));
    }

    void invalidUtf8MakesValidJson_data()
    {
        QTest::addColumn<QByteArray>("text");
        QTest::newRow("lone continuation byte") << QByteArray("eth\x80");
        QTest::newRow("0xff") << QByteArray("\xff\xfe");
        QTest::newRow("truncated sequence") << QByteArray("a\xc3");
        QTest::newRow("overlong slash") << QByteArray("\xc0\xaf");
        QTest::newRow("surrogate") << QByteArray("\xed\xa0\x80");
        QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80");
        QTest::newRow("valid multibyte stays") << QByteArray("p\xc3\xa9"
                                                             "d\xe2\x82\xac\xf0\x9f\x90\xb3");
    }

    void invalidUtf8MakesValidJson()
    {
        QFETCH(QByteArray, text);
        const std::string line =
            podtap::agent::JsonLine()
                .add("message", std::string_view(text.constData(), static_cast<std::size_t>(text.size())))
                .str();
        QJsonParseError error {};
        const QJsonDocument document = QJsonDocument::fromJson(QByteArray::fromStdString(line), &error);
        QVERIFY2(error.error == QJsonParseError::NoError,
            qPrintable(
                error.errorString() + QStringLiteral(": ") + QString::fromLatin1(QByteArray::fromStdString(line))));
        const QString decoded = document.object().value(QStringLiteral("message")).toString();
        if (QString::fromUtf8(text).toUtf8() == text) {
            QCOMPARE(decoded, QString::fromUtf8(text)); // valid UTF-8 passes unchanged
        } else {
            QVERIFY2(decoded.contains(QChar(0xFFFD)), qPrintable(decoded));
        }
    }

    void errorAboutAnInvalidUtf8NameIsValidJson()
    {
        // A name with bytes that are not UTF-8 (an interface name is bytes to the kernel): the error event
        // that names it must still be one valid JSON object, as a strict parser reads it.
        // The shell puts the raw bytes into argv (a QString argument would be re-encoded as valid UTF-8).
        const ProcessResult result = run({QStringLiteral("bash"), QStringLiteral("-c"),
            QStringLiteral("exec \"$0\" mirror --pid 1 --vni 5 --remote 198.51.100.2 --interface "
                           "\"$(printf '\\377\\376\\200eth0-is-too-long')\""),
            m_agent});
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe({QStringLiteral("mirror --interface")})));
        QVERIFY(result.err.contains("\xff\xfe\x80")); // stderr keeps the bytes as they were
        const ProcessResult python = run({QStringLiteral("python3"), QStringLiteral("-c"),
                                             QStringLiteral("import json,sys\n"
                                                            "raw=sys.stdin.buffer.read()\n"
                                                            "obj=json.loads(raw.decode('utf-8', errors='strict'))\n"
                                                            "print(obj['event']); print(obj['message'])")},
            30000, result.out);
        QVERIFY2(python.ok(),
            qPrintable(python.describe({QStringLiteral("python3 json.loads")}) + QStringLiteral(" on ") +
                QString::fromLatin1(result.out.toPercentEncoding())));
        QVERIFY2(python.out.startsWith("error\n") && python.out.contains("--interface"), python.out.constData());
    }

    void pkexecAllowsOnlyReceive_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::newRow("mirror") << QStringList {QStringLiteral("mirror"), QStringLiteral("--pid"), QStringLiteral("1"),
            QStringLiteral("--vni"), QStringLiteral("5"), QStringLiteral("--remote"), QStringLiteral("198.51.100.2")};
        QTest::newRow("cleanup") << QStringList {
            QStringLiteral("cleanup"), QStringLiteral("--pid"), QStringLiteral("1")};
        QTest::newRow("inspect") << QStringList {
            QStringLiteral("inspect"), QStringLiteral("--pid"), QStringLiteral("1")};
        QTest::newRow("bad flags too") << QStringList {QStringLiteral("mirror"), QStringLiteral("--colour")};
        QTest::newRow("unknown command") << QStringList {QStringLiteral("tap")};
        QTest::newRow("stream") << QStringList {QStringLiteral("stream"), QStringLiteral("--pid"), QStringLiteral("1")};
        QTest::newRow("hold") << QStringList {QStringLiteral("hold")};
    }

    void pkexecAllowsOnlyReceive()
    {
        // Under pkexec (which sets PKEXEC_UID) the polkit action authorizes the receiver only: a mirror to
        // any IP, or a cleanup in any netns, must not ride on that authorization.
        QFETCH(QStringList, args);
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PKEXEC_UID"), QStringLiteral("1000"));
        const ProcessResult result = run(QStringList {m_agent} + args, 30000, {}, environment);
        QVERIFY2(result.exitCode == 2, qPrintable(result.describe(args)));
        QVERIFY2(result.err.contains("pkexec") && result.err.contains("receive"), result.err.constData());
        const QJsonObject event = errorEvent(args, result);
        QCOMPARE(event.value(QStringLiteral("event")).toString(), QStringLiteral("error"));
        QCOMPARE(event.value(QStringLiteral("exit_code")).toInt(), 2);
        // Without PKEXEC_UID the same command gets past that check (to its own usage or target errors).
        const ProcessResult plain = run(QStringList {m_agent} + args);
        QVERIFY2(!plain.err.contains("pkexec"), plain.err.constData());
    }

    void pkexecStillRunsReceive()
    {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("PKEXEC_UID"), QStringLiteral("1000"));
        // receive without --vni: refused for its usage, not for pkexec.
        const ProcessResult result = run({m_agent, QStringLiteral("receive")}, 30000, {}, environment);
        QCOMPARE(result.exitCode, 2);
        QVERIFY2(result.err.contains("--vni") && !result.err.contains("pkexec"), result.err.constData());
        QVERIFY(run({m_agent, QStringLiteral("--version")}, 30000, {}, environment).ok());
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
        QTest::newRow("egress VNI equals the VNI")
            << withVni({QStringLiteral("--egress-vni"), QStringLiteral("5")}) << 2 << "--egress-vni 5";
        QTest::newRow("egress VNI out of range")
            << withVni({QStringLiteral("--egress-vni"), QStringLiteral("16777216")}) << 2 << "--egress-vni 16777216";
        QTest::newRow("egress VNI with ingress only") << withVni({QStringLiteral("--egress-vni"), QStringLiteral("6"),
                                                             QStringLiteral("--direction"), QStringLiteral("ingress")})
                                                      << 2 << "--direction ingress";
        QTest::newRow("egress name without egress VNI")
            << withVni({QStringLiteral("--egress-name"), QStringLiteral("ptx")}) << 2 << "without --egress-vni";
        QTest::newRow("egress name equals the name")
            << withVni({QStringLiteral("--egress-vni"), QStringLiteral("6"), QStringLiteral("--name"),
                   QStringLiteral("ptx"), QStringLiteral("--egress-name"), QStringLiteral("ptx")})
            << 2 << "--egress-name ptx";
        QTest::newRow("no room for the default egress name")
            << withVni({QStringLiteral("--egress-vni"), QStringLiteral("6"), QStringLiteral("--name"),
                   QStringLiteral("abcdefghijklmno")})
            << 2 << "no room";
        const QStringList stream = {
            QStringLiteral("stream"), QStringLiteral("--netns"), QStringLiteral("/nonexistent")};
        QTest::newRow("stream snaplen not a number")
            << (stream + QStringList {QStringLiteral("--snaplen"), QStringLiteral("64k")}) << 2 << "--snaplen 64k";
        QTest::newRow("stream snaplen negative")
            << (stream + QStringList {QStringLiteral("--snaplen"), QStringLiteral("-1")}) << 2 << "--snaplen -1";
        QTest::newRow("stream if-name with a newline")
            << (stream + QStringList {QStringLiteral("--if-name"), QStringLiteral("ns/pod\n{\"event\"")}) << 2
            << "--if-name";
        QTest::newRow("stream if-name empty") << (stream +
                                                     QStringList {
                                                         QStringLiteral("--if-name="),
                                                     })
                                              << 2 << "--if-name";
        QTest::newRow("stream if-name too long")
            << (stream + QStringList {QStringLiteral("--if-name"), QString(1025, QLatin1Char('x'))}) << 2
            << "1025 bytes";
        QTest::newRow("stream takes no VNI")
            << (stream + QStringList {QStringLiteral("--vni"), QStringLiteral("5")}) << 2 << "unknown flag --vni";
        QTest::newRow("stream without a target") << QStringList {QStringLiteral("stream")} << 2 << "needs a target";
        QTest::newRow("stream bad direction")
            << (stream + QStringList {QStringLiteral("--direction"), QStringLiteral("in")}) << 2 << "--direction";
        QTest::newRow("stream bad bpf") << (stream + QStringList {QStringLiteral("--bpf"), QStringLiteral("tcp")}) << 2
                                        << "--bpf";
        QTest::newRow("stream bad interface")
            << (stream + QStringList {QStringLiteral("--interface"), QStringLiteral("a/b")}) << 2 << "--interface";
        QTest::newRow("stream heartbeat timeout zero")
            << (stream + QStringList {QStringLiteral("--heartbeat-timeout"), QStringLiteral("0")}) << 2
            << "--heartbeat-timeout";
        QTest::newRow("stream netns missing") << stream << 3 << "/nonexistent";
        QTest::newRow("hold takes no target")
            << QStringList {QStringLiteral("hold"), QStringLiteral("--pid"), QStringLiteral("1")} << 2
            << "unknown flag --pid for hold";
        QTest::newRow("hold takes no interface")
            << QStringList {QStringLiteral("hold"), QStringLiteral("--interface"), QStringLiteral("eth0")} << 2
            << "unknown flag --interface";
        QTest::newRow("hold deadline zero")
            << QStringList {QStringLiteral("hold"), QStringLiteral("--deadline"), QStringLiteral("0")} << 2
            << "--deadline";
        QTest::newRow("hold heartbeat timeout not a number")
            << QStringList {QStringLiteral("hold"), QStringLiteral("--heartbeat-timeout"), QStringLiteral("3m")} << 2
            << "--heartbeat-timeout";
        const QStringList targetsFile = {QStringLiteral("mirror"), QStringLiteral("--targets-file"),
            QStringLiteral("/etc/podtap/annotations"), QStringLiteral("--remote"), QStringLiteral("198.51.100.2")};
        QTest::newRow("targets file and a target")
            << (targetsFile + QStringList {QStringLiteral("--pid"), QStringLiteral("1")}) << 2
            << "--pid 1 with --targets-file";
        QTest::newRow("targets file and a vni")
            << (targetsFile + QStringList {QStringLiteral("--vni"), QStringLiteral("5")}) << 2
            << "--vni 5 with --targets-file";
        QTest::newRow("targets key without file")
            << QStringList {QStringLiteral("mirror"), QStringLiteral("--targets-key"),
                   QStringLiteral("podtap.io/targets"), QStringLiteral("--pid"), QStringLiteral("1"),
                   QStringLiteral("--vni"), QStringLiteral("5"), QStringLiteral("--remote"),
                   QStringLiteral("198.51.100.2")}
            << 2 << "without --targets-file";
        QTest::newRow("targets file without remote")
            << QStringList {QStringLiteral("mirror"), QStringLiteral("--targets-file"), QStringLiteral("/x")} << 2
            << "--remote";
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
        // The console reads the same message from stdout (stderr for stream) as a JSON error event.
        const QJsonObject event = errorEvent(args, result);
        QCOMPARE(event.value(QStringLiteral("event")).toString(), QStringLiteral("error"));
        QVERIFY(event.value(QStringLiteral("message")).toString().contains(mentions));
        QCOMPARE(event.value(QStringLiteral("exit_code")).toInt(), exitCode);
    }
};

QTEST_GUILESS_MAIN(TestAgentCli)
#include "tst_agent_cli.moc"
