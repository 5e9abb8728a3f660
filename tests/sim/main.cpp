// SPDX-License-Identifier: Apache-2.0
// podtap-sim: a simulated Kubernetes API server for podtap's tests (kube-sim).
#include "api_server.h"
#include "cert_authority.h"
#include "http_server.h"
#include "rig/rig_kubelet.h"
#include "seeder.h"
#include "sim_kubelet.h"
#include "sim_store.h"
#include "sim_workloads.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QSocketNotifier>
#include <QSslConfiguration>
#include <QSslKey>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

using namespace podtap::sim;

namespace {

int g_signalPipe[2] = {-1, -1};
RigKubelet *g_rig = nullptr; // torn down by fail(), so a failed start leaves no namespaces behind

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
}

[[noreturn]] void fail(const QString &message)
{
    std::fprintf(stderr, "podtap-sim: %s\n", qPrintable(message));
    if (g_rig) {
        g_rig->tearDown();
    }
    std::exit(2);
}

bool parseListen(const QString &text, QHostAddress *address, quint16 *port)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0) {
        return false;
    }
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']'))) {
        host = host.mid(1, host.size() - 2);
    }
    bool ok = false;
    const uint value = text.mid(colon + 1).toUInt(&ok);
    if (!ok || value > 65535 || !address->setAddress(host)) {
        return false;
    }
    *port = quint16(value);
    return true;
}

QByteArray kubeconfig(const QByteArray &server, const QByteArray &caPem, const QByteArray &user,
    const CertAuthority::Issued *client, const QByteArray &token)
{
    QByteArray out = "apiVersion: v1\nkind: Config\nclusters:\n- name: kube-sim\n  cluster:\n    server: " + server +
        "\n    certificate-authority-data: " + caPem.toBase64() +
        "\ncontexts:\n- name: kube-sim\n  context:\n"
        "    cluster: kube-sim\n    user: " +
        user +
        "\n    namespace: default\ncurrent-context: kube-sim\n"
        "preferences: {}\nusers:\n- name: " +
        user + "\n  user:\n";
    if (client) {
        out += "    client-certificate-data: " + client->certPem.toBase64() +
            "\n    client-key-data: " + client->keyPem.toBase64() + '\n';
    } else {
        out += "    token: " + token + '\n';
    }
    return out;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("podtap-sim"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("kube-sim: a simulated Kubernetes API server for podtap's tests."));
    parser.addHelpOption();
    const QCommandLineOption listen(QStringLiteral("listen"),
        QStringLiteral("Address and port (port 0: any free port)."), QStringLiteral("ADDR:PORT"),
        QStringLiteral("127.0.0.1:0"));
    const QCommandLineOption kubeconfigOut(
        QStringLiteral("kubeconfig-out"), QStringLiteral("Write a kubeconfig here."), QStringLiteral("FILE"));
    const QCommandLineOption auth(QStringLiteral("auth"), QStringLiteral("cert (client certificate) or token."),
        QStringLiteral("MODE"), QStringLiteral("cert"));
    const QCommandLineOption user(QStringLiteral("user"), QStringLiteral("User name in the client certificate."),
        QStringLiteral("NAME"), QStringLiteral("alice"));
    const QCommandLineOption group(QStringLiteral("group"), QStringLiteral("Group (O) in the client certificate."),
        QStringLiteral("NAME"), QStringLiteral("developers"));
    const QCommandLineOption namespaces(QStringLiteral("namespaces"), QStringLiteral("Workload namespaces to seed."),
        QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption pods(
        QStringLiteral("pods"), QStringLiteral("Pods to seed."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption nodes(
        QStringLiteral("nodes"), QStringLiteral("Nodes to seed."), QStringLiteral("N"), QStringLiteral("0"));
    const QCommandLineOption seed(QStringLiteral("seed"), QStringLiteral("Seed for the generated cluster."),
        QStringLiteral("N"), QStringLiteral("1"));
    const QCommandLineOption workloadExamples(QStringLiteral("workloads"),
        QStringLiteral("Also seed example workloads in NAMESPACE: Deployment shop (a matchExpressions selector), "
                       "StatefulSet db, DaemonSet node-agent (a pod per node), Job migrate, with their pods."),
        QStringLiteral("NAMESPACE"));
    const QCommandLineOption expire(QStringLiteral("expire-after-events"),
        QStringLiteral("Watches and continue tokens older than N events get 410 Expired."), QStringLiteral("N"),
        QStringLiteral("0"));
    const QCommandLineOption dropWatch(QStringLiteral("drop-watch-after"),
        QStringLiteral("Drop watch connections abruptly after this many seconds."), QStringLiteral("SECONDS"),
        QStringLiteral("0"));
    const QCommandLineOption closeWatchAfter(QStringLiteral("close-watch-after-ms"),
        QStringLiteral("Accept every watch, then end it cleanly after this many milliseconds (0: at once)."),
        QStringLiteral("MS"));
    const QCommandLineOption watchError(QStringLiteral("watch-error"),
        QStringLiteral("Every watch gets one ERROR event with this HTTP code (e.g. 500, or 410 Expired), then ends."),
        QStringLiteral("CODE"));
    const QCommandLineOption watchStatus(QStringLiteral("watch-status"),
        QStringLiteral("Refuse every watch with this HTTP status (e.g. 410 Expired, 500, 503)."),
        QStringLiteral("CODE"));
    const QCommandLineOption failStatus(QStringLiteral("fail-status"),
        QStringLiteral("Refuse every API request with this HTTP status (POST /sim/faults recovers)."),
        QStringLiteral("CODE"));
    const QCommandLineOption stallWatches(QStringLiteral("stall-watches"),
        QStringLiteral("Accept every watch, then send nothing and never end it (a half-open connection)."));
    const QCommandLineOption stallExecs(QStringLiteral("stall-execs"),
        QStringLiteral("Accept every pods/exec, then send nothing and ignore the client (a half-open connection)."));
    const QCommandLineOption bookmarkInterval(QStringLiteral("bookmark-interval"),
        QStringLiteral("Milliseconds between watch bookmarks."), QStringLiteral("MS"), QStringLiteral("5000"));
    const QCommandLineOption startDelay(QStringLiteral("start-delay"),
        QStringLiteral("Milliseconds before a created pod runs."), QStringLiteral("MS"), QStringLiteral("200"));
    const QCommandLineOption stopDelay(QStringLiteral("stop-delay"),
        QStringLiteral("Milliseconds a deleted pod takes to stop (capped by its grace)."), QStringLiteral("MS"),
        QStringLiteral("300"));
    const QCommandLineOption forbid(QStringLiteral("forbid"), QStringLiteral("RBAC denial (repeatable)."),
        QStringLiteral("VERB:RESOURCE[:NAMESPACE]"));
    const QCommandLineOption podSecurity(QStringLiteral("pod-security"),
        QStringLiteral("Enforce a Pod Security level (repeatable)."), QStringLiteral("NAMESPACE=restricted|baseline"));
    const QCommandLineOption quota(
        QStringLiteral("quota"), QStringLiteral("Pod quota (repeatable)."), QStringLiteral("NAMESPACE=PODS"));
    const QCommandLineOption rig(QStringLiteral("rig"),
        QStringLiteral("Run pods for real (needs root): nodes and pods become network namespaces, pods run "
                       "processes that make traffic, and podtap agent pods run the built podtap-agent."));
    const QCommandLineOption describeOut(QStringLiteral("describe-out"),
        QStringLiteral("With --rig: write the rig's namespaces and addresses here as JSON once it is up."),
        QStringLiteral("FILE"));
    const QCommandLineOption agentBinary(QStringLiteral("agent-binary"),
        QStringLiteral("With --rig: the podtap-agent agent pods run (default: the one built beside podtap-sim)."),
        QStringLiteral("FILE"));
    const QCommandLineOption trafficInterval(QStringLiteral("traffic-interval"),
        QStringLiteral("With --rig: milliseconds between the datagrams each pod sends."), QStringLiteral("MS"),
        QStringLiteral("200"));
    const QCommandLineOption clockSkew(QStringLiteral("clock-skew-seconds"),
        QStringLiteral("Run the server's clock this many seconds ahead (negative: behind) of this machine's: its Date "
                       "header and every timestamp it writes."),
        QStringLiteral("SECONDS"), QStringLiteral("0"));
    parser.addOptions({listen, kubeconfigOut, auth, user, group, namespaces, pods, nodes, seed, workloadExamples,
        expire, dropWatch, closeWatchAfter, watchError, watchStatus, failStatus, stallWatches, stallExecs,
        bookmarkInterval, startDelay, stopDelay, forbid, podSecurity, quota, rig, describeOut, agentBinary,
        trafficInterval, clockSkew});
    parser.process(app);
    {
        bool ok = false;
        const qlonglong skew = parser.value(clockSkew).toLongLong(&ok);
        if (!ok || skew < -10LL * 365 * 86400 || skew > 10LL * 365 * 86400) {
            fail(QStringLiteral("--clock-skew-seconds %1: expected a whole number of seconds within ten years")
                     .arg(parser.value(clockSkew)));
        }
        SimStore::setClockSkewMs(skew * 1000);
    }

    const auto number = [&](const QCommandLineOption &option) {
        bool ok = false;
        const qlonglong value = parser.value(option).toLongLong(&ok);
        if (!ok || value < 0) {
            fail(QStringLiteral("--%1 %2: expected a non-negative number")
                     .arg(option.names().first(), parser.value(option)));
        }
        return value;
    };

    QHostAddress address;
    quint16 port = 0;
    if (!parseListen(parser.value(listen), &address, &port)) {
        fail(QStringLiteral("--listen %1: expected ADDR:PORT, e.g. 127.0.0.1:0 or [::1]:6443")
                 .arg(parser.value(listen)));
    }
    const QString authMode = parser.value(auth);
    if (authMode != QLatin1String("cert") && authMode != QLatin1String("token")) {
        fail(QStringLiteral("--auth %1: use cert or token").arg(authMode));
    }

    const bool rigMode = parser.isSet(rig);
    if (rigMode && ::geteuid() != 0) {
        fail(
            QStringLiteral("--rig creates network namespaces, cgroups and mounts, so it needs root: run it with sudo"));
    }
    if (rigMode && address.protocol() != QAbstractSocket::IPv4Protocol) {
        fail(QStringLiteral("--rig needs an IPv4 --listen address (clients in the rig's namespace use 127.0.0.1)"));
    }
    if (parser.isSet(describeOut) && !rigMode) {
        fail(QStringLiteral("--describe-out describes the rig: add --rig"));
    }

    SimStore store;
    std::unique_ptr<SimKubelet> kubeletOwner;
    RigKubelet *rigKubelet = nullptr;
    if (rigMode) {
        RigKubelet::Options rigOptions;
        rigOptions.agentBinary = parser.isSet(agentBinary)
            ? parser.value(agentBinary)
            : RigKubelet::findBuiltProgram(QStringLiteral("podtap-agent"));
        rigOptions.podBinary = RigKubelet::findBuiltProgram(QStringLiteral("podtap-sim-pod"));
        rigOptions.runDir = QStringLiteral("/run/podtap-sim/%1").arg(::getpid());
        rigOptions.trafficIntervalMs = std::max(10, int(number(trafficInterval)));
        auto owned = std::make_unique<RigKubelet>(&store, rigOptions);
        rigKubelet = owned.get();
        g_rig = rigKubelet;
        kubeletOwner = std::move(owned);
    } else {
        kubeletOwner = std::make_unique<SimKubelet>(&store);
    }
    SimKubelet &kubelet = *kubeletOwner;
    kubelet.setStartDelayMs(int(number(startDelay)));
    kubelet.setStopDelayMs(int(number(stopDelay)));
    const quint64 expireAfter = quint64(number(expire));
    if (expireAfter > 0) {
        store.setHistoryLimit(expireAfter);
    }

    QElapsedTimer seedTimer;
    seedTimer.start();
    Seeder::seed(store, {int(number(namespaces)), int(number(pods)), int(number(nodes))}, quint64(number(seed)));
    if (parser.isSet(workloadExamples)) {
        const QByteArray ns = parser.value(workloadExamples).toUtf8();
        if (!store.find(Kind::Namespace, {}, ns)) {
            auto created = std::make_shared<SimNamespace>();
            created->name = ns;
            created->uid = SimStore::newUid();
            created->creationMs = SimStore::nowMs();
            created->labels = {{"kubernetes.io/metadata.name", ns}};
            store.seed(created);
        }
        workloads::seedExamples(store, ns, quint64(number(seed)));
    }
    // The Deployments, ReplicaSets and Jobs the seeded pods name as owners.
    workloads::seedOwners(store, quint64(number(seed)));
    std::fprintf(stderr, "podtap-sim: seeded %d namespaces, %d nodes, %d pods in %lld ms\n",
        int(store.objects(Kind::Namespace).size()), int(store.objects(Kind::Node).size()),
        int(store.objects(Kind::Pod).size()), seedTimer.elapsed());

    if (rigKubelet) {
        QElapsedTimer rigTimer;
        rigTimer.start();
        QString error;
        if (!rigKubelet->setUp(&error)) {
            fail(QStringLiteral("--rig: %1").arg(error));
        }
        std::fprintf(stderr,
            "podtap-sim: rig up in %lld ms; clients and local receivers run in the network namespace %s\n",
            rigTimer.elapsed(), qPrintable(rigKubelet->workstationNetns()));
    }

    CertAuthority ca;
    if (!ca.isValid()) {
        fail(ca.errorString());
    }
    QByteArrayList ips = {"127.0.0.1", "::1"};
    if (!address.isNull() && !ips.contains(address.toString().toUtf8())) {
        ips.append(address.toString().toUtf8());
    }
    const CertAuthority::Issued serverCert = ca.issueServer(ips, {"localhost", "kube-sim"});
    if (serverCert.certPem.isEmpty()) {
        fail(ca.errorString());
    }

    QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
    tls.setLocalCertificate(QSslCertificate(serverCert.certPem));
    tls.setPrivateKey(QSslKey(serverCert.keyPem, QSsl::Ec));
    // Ask for a client certificate but let token clients in; the CA check happens per request.
    tls.setPeerVerifyMode(QSslSocket::QueryPeer);
    tls.setAllowedNextProtocols({QByteArrayLiteral("http/1.1")});
    tls.setProtocol(QSsl::TlsV1_2OrLater);

    ApiServer::Options apiOptions;
    apiOptions.expireAfterEvents = expireAfter;
    apiOptions.dropWatchAfterMs = int(number(dropWatch) * 1000);
    apiOptions.bookmarkIntervalMs = int(number(bookmarkInterval));
    if (parser.isSet(closeWatchAfter)) {
        apiOptions.faults.closeWatchAfterMs = int(number(closeWatchAfter));
    }
    const auto httpCode = [&](const QCommandLineOption &option) {
        if (!parser.isSet(option)) {
            return 0;
        }
        const qlonglong code = number(option);
        if (code < 400 || code > 599) {
            fail(QStringLiteral("--%1 %2: expected an HTTP error status between 400 and 599, e.g. 500")
                     .arg(option.names().first(), parser.value(option)));
        }
        return int(code);
    };
    apiOptions.faults.watchErrorCode = httpCode(watchError);
    apiOptions.faults.watchStatusCode = httpCode(watchStatus);
    apiOptions.faults.failStatusCode = httpCode(failStatus);
    apiOptions.faults.stallWatches = parser.isSet(stallWatches);
    apiOptions.faults.stallExecs = parser.isSet(stallExecs);
    ApiServer api(&store, &kubelet, apiOptions);
    for (const QString &rule : parser.values(forbid)) {
        if (!api.refusals().addForbid(rule.toUtf8())) {
            fail(QStringLiteral("--forbid %1: expected VERB:RESOURCE[:NAMESPACE[:USER]], e.g. create:pods:podtap")
                     .arg(rule));
        }
    }
    for (const QString &setting : parser.values(podSecurity)) {
        if (!api.refusals().addPodSecurity(setting.toUtf8())) {
            fail(QStringLiteral("--pod-security %1: expected NAMESPACE=restricted|baseline").arg(setting));
        }
    }
    for (const QString &setting : parser.values(quota)) {
        if (!api.refusals().addQuota(setting.toUtf8())) {
            fail(QStringLiteral("--quota %1: expected NAMESPACE=PODS").arg(setting));
        }
    }

    HttpServer server(&ca);
    QByteArray token;
    if (authMode == QLatin1String("token")) {
        quint32 words[8];
        QRandomGenerator::system()->fillRange(words);
        token = "kube-sim." + QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
        server.setToken(token);
    }
    server.setHandler(
        [&api](HttpConnection *connection, const HttpRequest &request) { api.handle(connection, request); });
    if (!server.listen(address, port, tls)) {
        fail(QStringLiteral("listen on %1: %2").arg(parser.value(listen), server.errorString()));
    }
    if (rigKubelet) {
        const QHostAddress inside = address == QHostAddress::AnyIPv4 ? address : QHostAddress(QHostAddress::LocalHost);
        if (!server.listenInNetns(QStringLiteral("/run/netns/") + rigKubelet->workstationNetns(), inside, tls)) {
            fail(server.errorString());
        }
        if (parser.isSet(describeOut)) {
            QSaveFile file(parser.value(describeOut));
            if (!file.open(QIODevice::WriteOnly) || file.write(rigKubelet->describe()) < 0 || !file.commit()) {
                fail(QStringLiteral("write %1: %2").arg(parser.value(describeOut), file.errorString()));
            }
        }
    }
    const QByteArray host = address.protocol() == QAbstractSocket::IPv6Protocol
        ? '[' + address.toString().toUtf8() + ']'
        : address.toString().toUtf8();
    const QByteArray hostForUrl = address == QHostAddress::AnyIPv4 ? QByteArray("127.0.0.1")
        : address == QHostAddress::AnyIPv6                         ? QByteArray("[::1]")
                                                                   : host;
    const QByteArray url = "https://" + hostForUrl + ':' + QByteArray::number(server.port());
    // Only now that the port is known can /api report it.
    api.setServerAddress(hostForUrl + ':' + QByteArray::number(server.port()));

    if (parser.isSet(kubeconfigOut)) {
        const QByteArray userName = parser.value(user).toUtf8();
        CertAuthority::Issued client;
        if (authMode == QLatin1String("cert")) {
            client = ca.issueClient(userName, parser.value(group).toUtf8());
            if (client.certPem.isEmpty()) {
                fail(ca.errorString());
            }
        }
        QSaveFile file(parser.value(kubeconfigOut));
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(kubeconfig(url, ca.caPem(), authMode == QLatin1String("cert") ? userName : "token-user",
                authMode == QLatin1String("cert") ? &client : nullptr, token)) < 0 ||
            !file.commit()) {
            fail(QStringLiteral("write the kubeconfig %1: %2").arg(parser.value(kubeconfigOut), file.errorString()));
        }
        QFile::setPermissions(parser.value(kubeconfigOut), QFile::ReadOwner | QFile::WriteOwner);
    }

    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) {
        fail(QStringLiteral("create the signal pipe: %1").arg(QString::fromLocal8Bit(strerror(errno))));
    }
    QSocketNotifier notifier(g_signalPipe[0], QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, &app, [] { QCoreApplication::exit(0); });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGTERM, &action, nullptr);
    sigaction(SIGINT, &action, nullptr);
    std::signal(SIGPIPE, SIG_IGN);

    std::printf("ready %s\n", url.constData());
    std::fflush(stdout);
    const int status = app.exec();
    if (rigKubelet) {
        rigKubelet->tearDown();
    }
    return status;
}
