// SPDX-License-Identifier: Apache-2.0
// ExecStream against podtap-sim's pods/exec over WebSocket: output channels, exit codes, stdin and
// its end over v5 and v4, refusals and bad targets with errors a person can act on, token auth, and
// a consumer that stops acknowledging: bounded, with every byte either delivered or counted.
#include "exec_plugin_fixture.h"
#include "kube/cluster_connection.h"
#include "kube/exec_stream.h"
#include "receive/pcapng_stream_reader.h"
#include "sim_fixture.h"

#include <QBuffer>
#include <QHostInfo>

#include <QJsonDocument>
#include <QScopeGuard>
#include <QTcpServer>
#include <QtTest>

using namespace podtap::kube;
using podtap::test::setSimFaults;
using podtap::test::SimFixture;
using podtap::test::waitFor;

namespace {

const QString kLockedNs = QStringLiteral("locked");
const QString kPod = QStringLiteral("exec-target");

QJsonObject podManifest(const QString &name)
{
    QJsonObject pod = QJsonDocument::fromJson(R"({"apiVersion": "v1", "kind": "Pod", "metadata": {},
        "spec": {"containers": [{"name": "app", "image": "registry.example/app:1"}]}})")
                          .object();
    pod[QStringLiteral("metadata")] = QJsonObject {{QStringLiteral("name"), name}};
    return pod;
}

/// Creates @p name in @p ns and waits until it runs (the sim starts pods after --start-delay).
bool createRunningPod(KubeClient *client, const QString &ns, const QString &name)
{
    KubeReply *created = waitFor(client->create(KubeClient::corePath(QStringLiteral("pods"), ns), podManifest(name)));
    if (!created->ok()) {
        qWarning("create pod %s/%s: %s", qPrintable(ns), qPrintable(name), qPrintable(created->error().toString()));
        return false;
    }
    const QString path = KubeClient::corePath(QStringLiteral("pods"), ns, name);
    for (int attempt = 0; attempt < 100; ++attempt) {
        KubeReply *pod = waitFor(client->get(path));
        if (pod->json().value(QStringLiteral("status")).toObject().value(QStringLiteral("phase")).toString() ==
            QLatin1String("Running")) {
            return true;
        }
        QTest::qWait(100);
    }
    qWarning(
        "pod %s/%s never ran: %s", qPrintable(ns), qPrintable(name), waitFor(client->get(path))->body().constData());
    return false;
}

/// What one exec produced.
struct Run
{
    QByteArray out;
    QByteArray err;
    ExecResult result;
    bool finished = false;
};

/// Starts @p exec, collects its output, runs @p onOpen once it opened, and waits for the end.
Run runExec(ExecStream &exec, const std::function<void(ExecStream &)> &onOpen = {}, int timeoutMs = 30000)
{
    Run run;
    QObject::connect(&exec, &ExecStream::stdoutData, &exec, [&run](const QByteArray &d) { run.out += d; });
    QObject::connect(&exec, &ExecStream::stderrData, &exec, [&run](const QByteArray &d) { run.err += d; });
    QObject::connect(&exec, &ExecStream::opened, &exec, [&exec, &onOpen] {
        if (onOpen) {
            onOpen(exec);
        }
    });
    QSignalSpy finished(&exec, &ExecStream::finished);
    exec.start();
    if (finished.isEmpty()) {
        finished.wait(timeoutMs);
    }
    run.finished = finished.size() == 1;
    if (run.finished) {
        run.result = finished.at(0).at(0).value<ExecResult>();
    }
    return run;
}

ExecRequest request(const QStringList &command, const QString &ns = QStringLiteral("default"))
{
    ExecRequest r;
    r.ns = ns;
    r.pod = kPod;
    r.command = command;
    return r;
}

/// `seq N`'s output size: every number and its newline.
qint64 seqBytes(qint64 n)
{
    qint64 total = 0;
    for (qint64 i = 1; i <= n; ++i) {
        total += QByteArray::number(i).size() + 1;
    }
    return total;
}

/// kube-sim's count of exec sessions whose command has not ended (GET /sim/stats), -1 when unknown.
qint64 execsRunning(KubeClient *client)
{
    KubeReply *reply = waitFor(client->get(QStringLiteral("/sim/stats")));
    reply->deleteLater();
    return reply->ok() ? reply->json().value(QLatin1String("execsRunning")).toInteger(-1) : -1;
}

} // namespace

class TestExecStreamE2e final : public QObject
{
    Q_OBJECT

    std::unique_ptr<SimFixture> m_sim;
    std::unique_ptr<KubeClient> m_client;

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<ExecResult>();
        m_sim = std::make_unique<SimFixture>(QStringList {QStringLiteral("--namespaces"), QStringLiteral("1"),
            QStringLiteral("--pods"), QStringLiteral("0"), QStringLiteral("--nodes"), QStringLiteral("2"),
            QStringLiteral("--forbid"), QStringLiteral("create:pods/exec:") + kLockedNs, QStringLiteral("--forbid"),
            QStringLiteral("create:pods/exec::bob")});
        PODTAP_REQUIRE_SIM(*m_sim);
        QString error;
        m_client = m_sim->client(&error);
        QVERIFY2(m_client, qPrintable(error));
        QVERIFY(createRunningPod(m_client.get(), QStringLiteral("default"), kPod));
        KubeReply *ns = waitFor(m_client->create(KubeClient::corePath(QStringLiteral("namespaces")),
            QJsonObject {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
                {QStringLiteral("kind"), QStringLiteral("Namespace")},
                {QStringLiteral("metadata"), QJsonObject {{QStringLiteral("name"), kLockedNs}}}}));
        QVERIFY2(ns->ok() || ns->error().isAlreadyExists(), qPrintable(ns->error().toString()));
        QVERIFY(createRunningPod(m_client.get(), kLockedNs, kPod));
    }

    void stdoutAndExitZeroOverV5()
    {
        ExecStream exec(
            m_client.get(), request({QStringLiteral("echo"), QStringLiteral("hello"), QStringLiteral("pod")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
        QCOMPARE(run.result.exitCode, 0);
        QVERIFY(run.result.ok());
        QCOMPARE(run.out, QByteArray("hello pod\n"));
        QCOMPARE(run.err, QByteArray());
        QCOMPARE(exec.protocol(), QLatin1String(ExecStream::kProtocolV5));
    }

    void stderrIsItsOwnChannel()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("stderr"), QStringLiteral("oops")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.err, QByteArray("oops\n"));
        QCOMPARE(run.out, QByteArray());
        QCOMPARE(run.result.exitCode, 0);
    }

    void nonZeroExitCodeIsTheCommandsAnswer_data()
    {
        QTest::addColumn<QStringList>("protocols");
        QTest::newRow("v5") << QStringList {
            QLatin1String(ExecStream::kProtocolV5), QLatin1String(ExecStream::kProtocolV4)};
        QTest::newRow("v4") << QStringList {QLatin1String(ExecStream::kProtocolV4)};
    }

    void nonZeroExitCodeIsTheCommandsAnswer()
    {
        QFETCH(QStringList, protocols);
        ExecStream exec(m_client.get(), request({QStringLiteral("exit"), QStringLiteral("3")}));
        exec.setOfferedProtocols(protocols);
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, 3);
        QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
        QVERIFY(!run.result.ok());
        QCOMPARE(exec.protocol(), protocols.first());
    }

    void stdinReachesTheCommandAndItsCloseEndsItOverV5()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
        // Written before the connection is open: held, then sent.
        QVERIFY(exec.writeStdin("early\n"));
        QByteArray seen;
        connect(&exec, &ExecStream::stdoutData, &exec, [&](const QByteArray &d) {
            seen += d;
            if (seen == "early\nline two\n") {
                exec.closeStdin();
            }
        });
        const Run run = runExec(exec, [](ExecStream &e) { QVERIFY(e.writeStdin("line two\n")); });
        QVERIFY(run.finished);
        QCOMPARE(run.out, QByteArray("early\nline two\n"));
        // cat exits 0 on EOF, and the exit status still arrives after stdin closed.
        QCOMPARE(run.result.exitCode, 0);
        QVERIFY(!run.result.endedByClient);
        QVERIFY(!exec.writeStdin("late"));
    }

    void stdinOverV4AndItsEndClosesTheConnection()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
        exec.setOfferedProtocols({QLatin1String(ExecStream::kProtocolV4)});
        QByteArray big(200 * 1024, 'x'); // more than one stdin message
        for (qsizetype i = 0; i < big.size(); i += 97) {
            big[i] = char('a' + i % 26);
        }
        QByteArray seen;
        connect(&exec, &ExecStream::stdoutData, &exec, [&](const QByteArray &d) {
            seen += d;
            if (seen.size() == big.size()) {
                exec.closeStdin();
            }
        });
        const Run run = runExec(exec, [&big](ExecStream &e) { QVERIFY(e.writeStdin(big)); });
        QVERIFY(run.finished);
        QCOMPARE(exec.protocol(), QLatin1String(ExecStream::kProtocolV4));
        QCOMPARE(run.out, big);
        // v4 can only end stdin by closing the connection: no exit status, and no error either.
        QVERIFY(run.result.endedByClient);
        QCOMPARE(run.result.exitCode, -1);
        QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
    }

    void forbiddenNamesPodPermissionAndFix()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("echo"), QStringLiteral("x")}, kLockedNs));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, -1);
        QVERIFY(run.result.apiError.isForbidden());
        QCOMPARE(run.result.apiError.httpStatus, 403);
        const QString &e = run.result.error;
        QVERIFY2(e.contains(QStringLiteral("pod locked/exec-target")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("exec 'echo x'")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("403")), qPrintable(e));
        QVERIFY2(e.contains(QStringLiteral("'create' on 'pods/exec' in namespace locked")), qPrintable(e));
        QCOMPARE(run.out, QByteArray());
    }

    void missingPodIsNotFound()
    {
        ExecRequest r = request({QStringLiteral("echo")});
        r.pod = QStringLiteral("no-such-pod");
        ExecStream exec(m_client.get(), r);
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QVERIFY(run.result.apiError.isNotFound());
        QVERIFY2(run.result.error.contains(QStringLiteral("pod default/no-such-pod")), qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("does not exist")), qPrintable(run.result.error));
    }

    void wrongContainerIsABadRequest()
    {
        ExecRequest r = request({QStringLiteral("echo")});
        r.container = QStringLiteral("sidecar");
        ExecStream exec(m_client.get(), r);
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QVERIFY2(run.result.apiError.httpStatus == 400, qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("(container sidecar)")), qPrintable(run.result.error));
    }

    void unknownCommandFailsWithTheRuntimesWords()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("no-such-binary")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, -1);
        QVERIFY2(run.result.error.contains(QStringLiteral("no-such-binary")), qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("executable file not found")), qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("pod default/exec-target")), qPrintable(run.result.error));
    }

    void connectionRefusedIsATransportError()
    {
        RestConfig config = m_client->config();
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close(); // a port nobody listens on any more
        config.server.setPort(port);
        KubeClient client(config);
        ExecStream exec(&client, request({QStringLiteral("echo")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.apiError.kind, ApiError::Kind::Network);
        QVERIFY2(run.result.error.contains(QStringLiteral("connection refused")), qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("pod default/exec-target")), qPrintable(run.result.error));
    }

    void untrustedServerIsATlsError()
    {
        RestConfig config = m_client->config();
        // A CA that did not sign the sim's certificate: the client certificate itself will do.
        config.caPem = config.clientCertificatePem;
        KubeClient client(config);
        ExecStream exec(&client, request({QStringLiteral("echo")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.apiError.kind, ApiError::Kind::Tls);
        QVERIFY2(run.result.error.contains(QStringLiteral("TLS")), qPrintable(run.result.error));
        QVERIFY2(run.result.error.contains(QStringLiteral("certificate-authority")), qPrintable(run.result.error));
    }

    void bearerTokenAuth()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--pods"),
            QStringLiteral("0"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        std::unique_ptr<KubeClient> client = sim.client();
        QVERIFY(client);
        QVERIFY(!client->config().token.isEmpty());
        QVERIFY(client->config().clientCertificatePem.isEmpty());
        QVERIFY(createRunningPod(client.get(), QStringLiteral("default"), kPod));
        ExecStream exec(client.get(), request({QStringLiteral("hostname")}));
        Run run = runExec(exec);
        QVERIFY(run.finished);
        QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
        QCOMPARE(run.out, kPod.toUtf8() + '\n');

        // The same without the token: the server refuses the upgrade with 401, named as such.
        RestConfig config = client->config();
        config.token = QStringLiteral("not-the-token");
        KubeClient wrong(config);
        ExecStream refused(&wrong, request({QStringLiteral("hostname")}));
        run = runExec(refused);
        QVERIFY(run.finished);
        QCOMPARE(run.result.apiError.httpStatus, 401);
        QVERIFY2(run.result.error.contains(QStringLiteral("credentials")), qPrintable(run.result.error));
    }

    void execPluginCredentialIsFetchedAgainAfter401()
    {
        SimFixture sim({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--pods"),
            QStringLiteral("0"), QStringLiteral("--nodes"), QStringLiteral("1")});
        PODTAP_REQUIRE_SIM(sim);
        QVERIFY(createRunningPod(sim.client().get(), QStringLiteral("default"), kPod));
        QTemporaryDir dir;
        // The first run hands out a token the server refuses (an expired one); later runs the right one.
        const QString kubeconfig = podtap::test::execPluginKubeconfig(sim, dir,
            "if [ -e \"$DIR/ran\" ]; then\n" + podtap::test::printCredential("$GOOD") + "else\ntouch \"$DIR/ran\"\n" +
                podtap::test::printCredential("expired") + "fi\n");
        QVERIFY(!kubeconfig.isEmpty());
        ClusterConnection connection = connectToCluster(kubeconfig, QString());
        QVERIFY2(connection.client, qPrintable(connection.error));
        ExecStream exec(connection.client.get(), request({QStringLiteral("hostname")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
        QCOMPARE(run.out, kPod.toUtf8() + '\n');
        QCOMPARE(podtap::test::lineCount(dir.filePath(QStringLiteral("runs.log"))), 2);
    }

    void impersonationHeadersReachTheUpgrade()
    {
        RestConfig config = m_client->config();
        config.impersonateUser = QStringLiteral("bob");
        KubeClient asBob(config);
        ExecStream exec(&asBob, request({QStringLiteral("echo"), QStringLiteral("x")}));
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        // Only bob is forbidden: the refusal shows the header went with the upgrade.
        QVERIFY2(run.result.apiError.isForbidden(), qPrintable(run.result.error));
    }

    void tlsServerNameIsVerifiedInsteadOfTheHost()
    {
        // A name of this machine that the sim's certificate does not carry (it has localhost and kube-sim).
        QString alias;
        for (const QString &name : {QStringLiteral("vm"), QStringLiteral("runsc")}) {
            const QHostInfo info = QHostInfo::fromName(name);
            if (info.error() == QHostInfo::NoError &&
                info.addresses().contains(QHostAddress(QHostAddress::LocalHost))) {
                alias = name;
                break;
            }
        }
        if (alias.isEmpty()) {
            QSKIP("no other name of 127.0.0.1 in /etc/hosts to reach the sim by");
        }
        RestConfig config = m_client->config();
        config.server.setHost(alias);
        {
            KubeClient client(config);
            ExecStream exec(&client, request({QStringLiteral("echo"), QStringLiteral("named")}));
            const Run run = runExec(exec);
            QVERIFY(run.finished);
            QCOMPARE(run.result.apiError.kind, ApiError::Kind::Tls);
        }
        config.tlsServerName = QStringLiteral("kube-sim");
        {
            KubeClient client(config);
            ExecStream exec(&client, request({QStringLiteral("echo"), QStringLiteral("named")}));
            const Run run = runExec(exec);
            QVERIFY(run.finished);
            QVERIFY2(run.result.error.isEmpty(), qPrintable(run.result.error));
            QCOMPARE(run.out, QByteArray("named\n"));
        }
        config.tlsServerName = QStringLiteral("not-in-the-certificate");
        {
            KubeClient client(config);
            ExecStream exec(&client, request({QStringLiteral("echo"), QStringLiteral("named")}));
            const Run run = runExec(exec);
            QVERIFY(run.finished);
            QCOMPARE(run.result.apiError.kind, ApiError::Kind::Tls);
        }
    }

    void aConsumerThatStopsAcknowledgingGetsDropsNotMemory()
    {
        constexpr qint64 kLimit = 256 * 1024;
        constexpr qint64 kNumbers = 400000; // about 2.7 MB of output
        ExecStream exec(m_client.get(), request({QStringLiteral("seq"), QString::number(kNumbers)}));
        exec.setMaxUnacknowledgedBytes(kLimit);
        qint64 delivered = 0;
        qint64 dropped = 0;
        qint64 peakOutstanding = 0;
        QByteArray kept;
        connect(&exec, &ExecStream::stdoutData, &exec, [&](const QByteArray &d) {
            delivered += d.size();
            kept += d;
            peakOutstanding = qMax(peakOutstanding, exec.unacknowledgedBytes());
            // The consumer stalls: it acknowledges nothing.
        });
        connect(&exec, &ExecStream::stdoutDropped, &exec, [&](qint64 bytes) { dropped += bytes; });
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, 0);
        QVERIFY(peakOutstanding <= kLimit);
        QVERIFY(delivered <= kLimit);
        QVERIFY(dropped > 0);
        QCOMPARE(qint64(exec.droppedBytes()), dropped);
        QVERIFY(exec.droppedMessages() > 0);
        // Nothing lost unnoticed: every byte the command wrote was delivered or counted as dropped.
        QCOMPARE(delivered + dropped, seqBytes(kNumbers));
        QCOMPARE(qint64(exec.deliveredBytes()), delivered);
        QVERIFY(kept.startsWith("1\n2\n3\n"));
    }

    void aConsumerThatAcknowledgesLosesNothing()
    {
        constexpr qint64 kNumbers = 400000;
        ExecStream exec(m_client.get(), request({QStringLiteral("seq"), QString::number(kNumbers)}));
        exec.setMaxUnacknowledgedBytes(256 * 1024);
        connect(&exec, &ExecStream::stdoutData, &exec, [&exec](const QByteArray &d) { exec.acknowledge(d.size()); });
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, 0);
        QCOMPARE(exec.droppedBytes(), 0u);
        QCOMPARE(qint64(run.out.size()), seqBytes(kNumbers));
        QVERIFY(run.out.endsWith(QByteArray::number(kNumbers) + '\n'));
        QCOMPARE(exec.unacknowledgedBytes(), 0);
    }

    void aMessageOverTheLimitEndsTheExecInsteadOfGrowingMemory()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("seq"), QStringLiteral("100000")}));
        exec.setMaxMessageBytes(4096); // the sim sends its output in 64 KiB messages
        const Run run = runExec(exec);
        QVERIFY(run.finished);
        QCOMPARE(run.result.exitCode, -1);
        QVERIFY2(run.result.error.contains(QStringLiteral("larger than the limit of 4096 bytes")),
            qPrintable(run.result.error));
        QVERIFY(run.out.size() < 4096);
    }

    void aPcapngStreamThroughExecReadsBackAcrossDrops()
    {
        // An agent's pcapng, played by `cat`: written on stdin, read back from stdout block by block.
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        QList<QByteArray> frames;
        {
            podtap::receive::PcapngWriter writer(&buffer, {.maxPendingBytes = qint64(1) << 40, .application = {}});
            writer.start();
            writer.addInterface({QStringLiteral("shop/cart-0/eth0"), {}, 65535});
            for (int i = 0; i < 400; ++i) {
                QByteArray frame(60 + (i * 37) % 1400, char(i));
                frame.replace(0, 4, QByteArray::number(100000 + i).right(4));
                frames << frame;
                writer.writePacket(0, 1700000000000000000LL + i, podtap::receive::PacketDirection::Inbound,
                    frame.constData(), frame.size());
            }
            writer.close();
        }
        const QByteArray stream = buffer.data();

        for (const bool stall : {false, true}) {
            ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
            exec.setMaxUnacknowledgedBytes(48 * 1024);
            podtap::receive::PcapngStreamReader reader;
            QList<podtap::receive::PcapngPacket> packets;
            qint64 seen = 0;
            bool stalled = stall;
            connect(&exec, &ExecStream::stdoutData, &exec, [&](const QByteArray &d) {
                seen += d.size();
                for (const podtap::receive::PcapngBlock &block : reader.append(d)) {
                    if (block.type == podtap::receive::PcapngBlock::Type::EnhancedPacket) {
                        packets << block.packet;
                    }
                }
                if (!stalled) {
                    exec.acknowledge(d.size());
                }
                if (seen == stream.size()) {
                    exec.closeStdin();
                }
            });
            connect(&exec, &ExecStream::stdoutDropped, &exec, [&](qint64 bytes) {
                seen += bytes;
                reader.resynchronize(); // the byte stream has a gap here
                if (stalled) {
                    stalled = false; // the consumer catches up after its first loss
                    exec.acknowledge(exec.unacknowledgedBytes());
                }
                if (seen == stream.size()) {
                    exec.closeStdin();
                }
            });
            const Run run = runExec(exec, [&stream](ExecStream &e) { QVERIFY(e.writeStdin(stream)); });
            QVERIFY(run.finished);
            QCOMPARE(run.result.exitCode, 0);
            QVERIFY2(!reader.hasError(), qPrintable(reader.errorString()));
            QCOMPARE(stall, exec.droppedBytes() > 0);
            // Every packet read is one that was written, in order, with its timestamp; a stall loses some.
            int next = 0;
            for (const podtap::receive::PcapngPacket &p : std::as_const(packets)) {
                while (next < frames.size() && frames.at(next) != p.data) {
                    ++next;
                }
                QVERIFY2(next < frames.size(), "a packet that was never written, or out of order");
                QCOMPARE(p.timestampNs, 1700000000000000000LL + next);
                ++next;
            }
            QCOMPARE(packets.isEmpty() ? QByteArray() : packets.last().data, frames.last());
            if (stall) {
                QVERIFY(packets.size() < frames.size());
            } else {
                QCOMPARE(packets.size(), frames.size());
            }
        }
    }

    void keepAliveDefaults()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
        QCOMPARE(exec.pingIntervalMs(), 15000);
        QCOMPARE(exec.silenceTimeoutMs(), 45000);
    }

    void aPathThatGoesSilentEndsTheExecWithItsReason_data()
    {
        QTest::addColumn<QStringList>("protocols");
        QTest::newRow("v5") << QStringList {
            QLatin1String(ExecStream::kProtocolV5), QLatin1String(ExecStream::kProtocolV4)};
        QTest::newRow("v4") << QStringList {QLatin1String(ExecStream::kProtocolV4)};
    }

    // The network path to the API server dies mid-exec without a close (kube-sim's stallExecs fault: the server
    // sends nothing more, answers no ping and reads nothing): the exec ends within its silence timeout, with an
    // error naming the pod, the silence and the likely cause, instead of looking open for ever.
    void aPathThatGoesSilentEndsTheExecWithItsReason()
    {
        QFETCH(QStringList, protocols);
        constexpr int kPingMs = 200;
        constexpr int kSilenceMs = 1500;
        const qint64 runningBefore = execsRunning(m_client.get());
        QVERIFY(runningBefore >= 0);
        ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
        exec.setOfferedProtocols(protocols);
        exec.setKeepAlive(kPingMs, kSilenceMs);
        QByteArray out;
        connect(&exec, &ExecStream::stdoutData, &exec, [&out](const QByteArray &d) { out += d; });
        QSignalSpy finished(&exec, &ExecStream::finished);
        exec.start();
        QVERIFY(exec.writeStdin("alive\n"));
        QTRY_COMPARE_WITH_TIMEOUT(out, QByteArray("alive\n"), 10000);
        // A quiet command on a live path: the server's pongs keep it open for twice the silence timeout.
        QVERIFY2(!finished.wait(2 * kSilenceMs),
            qPrintable(finished.isEmpty() ? QString() : finished.first().first().value<ExecResult>().error));
        QVERIFY(exec.isOpen());

        QVERIFY(setSimFaults(m_client.get(), {{QStringLiteral("stallExecs"), true}}));
        const auto recover = qScopeGuard([this] {
            setSimFaults(m_client.get(), {{QStringLiteral("stallExecs"), false}});
        });
        QVERIFY(exec.writeStdin("lost\n")); // goes nowhere now
        // Ended within the timeout (plus the margin of a loaded machine), not hanging.
        QVERIFY(finished.wait(kSilenceMs + 8000));
        const ExecResult result = finished.first().first().value<ExecResult>();
        QCOMPARE(result.exitCode, -1);
        QVERIFY(!result.endedByClient);
        QCOMPARE(result.apiError.kind, ApiError::Kind::Network);
        QVERIFY2(result.error.contains(QStringLiteral("pod default/exec-target")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("nothing arrived from the API server for 1.5 s")),
            qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("ping")), qPrintable(result.error));
        QVERIFY2(result.error.contains(QStringLiteral("network path to the API server")), qPrintable(result.error));
        QCOMPARE(out, QByteArray("alive\n"));
        QVERIFY(!exec.isOpen());
        // The client dropped the connection, so the server stopped the command: nothing is left running there.
        QTRY_COMPARE_WITH_TIMEOUT(execsRunning(m_client.get()), runningBefore, 15000);
    }

    void abortEndsItOnce()
    {
        ExecStream exec(m_client.get(), request({QStringLiteral("cat")}));
        QSignalSpy finished(&exec, &ExecStream::finished);
        const Run run = runExec(exec, [](ExecStream &e) { e.abort(); });
        QVERIFY(run.finished);
        QVERIFY(run.result.endedByClient);
        QVERIFY(run.result.error.isEmpty());
        QTest::qWait(50);
        QCOMPARE(finished.size(), 1);
    }
};

QTEST_GUILESS_MAIN(TestExecStreamE2e)
#include "tst_exec_stream_e2e.moc"
