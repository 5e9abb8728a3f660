// SPDX-License-Identifier: Apache-2.0
// kube-sim conformance with the real kubectl: if kubectl can list, watch, create, delete, read
// logs and show refusals against podtap-sim, the sim is faithful enough for podtap's tests.
#include "support/sim_process.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QTest>

using podtap::test::ProcessResult;
using podtap::test::SimProcess;

namespace {

const int seededPods = 40;

QByteArray podYaml(const QByteArray &name, const QByteArray &ns, const QByteArray &extraSpec = {})
{
    return "apiVersion: v1\nkind: Pod\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
        "\n  labels:\n    app: conformance\nspec:\n  containers:\n  - name: main\n    image: "
        "registry.example.com/conformance:1.0\n" +
        extraSpec;
}

int lineCount(const QByteArray &text)
{
    int count = 0;
    for (const QByteArray &line : text.split('\n')) {
        count += line.trimmed().isEmpty() ? 0 : 1;
    }
    return count;
}

} // namespace

class TestKubeSimKubectl : public QObject
{
    Q_OBJECT

private:
    SimProcess m_sim;

    ProcessResult kubectl(const QStringList &args, int timeoutMs = 30000) { return m_sim.kubectl(args, timeoutMs); }
    void mustKubectl(const QStringList &args)
    {
        const ProcessResult result = kubectl(args);
        QVERIFY2(result.ok(), qPrintable(result.describe(QStringList {QStringLiteral("kubectl")} + args)));
    }

private Q_SLOTS:
    void initTestCase()
    {
        if (!QFile::exists(QStringLiteral("/usr/bin/kubectl"))) {
            QSKIP("kubectl is not installed (scripts/install-deps.sh test installs it)");
        }
        QString error;
        QVERIFY2(m_sim.start({QStringLiteral("--namespaces"), QStringLiteral("3"), QStringLiteral("--nodes"),
                                 QStringLiteral("4"), QStringLiteral("--pods"), QString::number(seededPods),
                                 QStringLiteral("--forbid"), QStringLiteral("create:pods:locked"),
                                 QStringLiteral("--pod-security"), QStringLiteral("secure=restricted"),
                                 QStringLiteral("--quota"), QStringLiteral("full=0"), QStringLiteral("--start-delay"),
                                 QStringLiteral("100")},
                     &error),
            qPrintable(error));
        for (const char *ns : {"conformance", "locked", "secure", "full"}) {
            mustKubectl({QStringLiteral("create"), QStringLiteral("namespace"), QString::fromLatin1(ns)});
        }
    }

    void getNamespacesListsSeededAndCreated()
    {
        const ProcessResult result = kubectl({QStringLiteral("get"), QStringLiteral("ns")});
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl get ns")})));
        for (const char *ns : {"default", "kube-system", "payments", "checkout", "monitoring", "conformance"}) {
            QVERIFY2(result.out.contains(ns), result.out.constData());
        }
        QVERIFY(result.out.startsWith("NAME"));
        QVERIFY(result.out.contains("Active"));
    }

    void getNodesShowsReadyNodesWithInternalIP()
    {
        const ProcessResult result =
            kubectl({QStringLiteral("get"), QStringLiteral("nodes"), QStringLiteral("-o"), QStringLiteral("wide")});
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl get nodes")})));
        QCOMPARE(lineCount(result.out), 1 + 4);
        QVERIFY(result.out.contains("Ready"));
        QVERIFY2(result.out.contains("198.51.100.4"), result.out.constData());
    }

    void getPodsAllNamespacesCountsEveryPod_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::newRow("default chunks") << QStringList();
        QTest::newRow("chunk size 7") << QStringList {QStringLiteral("--chunk-size=7")};
    }

    void getPodsAllNamespacesCountsEveryPod()
    {
        QFETCH(QStringList, extra);
        const ProcessResult result =
            kubectl(QStringList {QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
                        QStringLiteral("--no-headers"), QStringLiteral("-l"), QStringLiteral("app!=conformance")} +
                extra);
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl get pods -A")})));
        QCOMPARE(lineCount(result.out), seededPods);
        QVERIFY(result.out.contains("Running"));
    }

    void jsonOutputCarriesRealisticPods()
    {
        const ProcessResult result = kubectl({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
            QStringLiteral("-o"), QStringLiteral("json")});
        QVERIFY2(result.ok(), qPrintable(result.describe({QStringLiteral("kubectl get pods -A -o json")})));
        const QJsonArray items = QJsonDocument::fromJson(result.out).object().value(QLatin1String("items")).toArray();
        QVERIFY(items.size() >= seededPods);
        int running = 0;
        for (const QJsonValue &value : items) {
            const QJsonObject pod = value.toObject();
            const QJsonObject status = pod.value(QLatin1String("status")).toObject();
            if (status.value(QLatin1String("phase")).toString() != QLatin1String("Running")) {
                continue;
            }
            ++running;
            const QString containerId = status.value(QLatin1String("containerStatuses"))
                                            .toArray()
                                            .first()
                                            .toObject()
                                            .value(QLatin1String("containerID"))
                                            .toString();
            QVERIFY2(containerId.startsWith(QLatin1String("containerd://")) && containerId.size() == 13 + 64,
                qPrintable(containerId));
            QVERIFY(!pod.value(QLatin1String("spec")).toObject().value(QLatin1String("nodeName")).toString().isEmpty());
            QVERIFY(!status.value(QLatin1String("hostIP")).toString().isEmpty());
            QVERIFY(!pod.value(QLatin1String("metadata"))
                         .toObject()
                         .value(QLatin1String("ownerReferences"))
                         .toArray()
                         .isEmpty());
        }
        QVERIFY(running > seededPods / 2);
    }

    void createDuplicateLogsDeleteNotFound()
    {
        const QString file = m_sim.writeFile(QStringLiteral("pod.yaml"), podYaml("web-1", "conformance"));
        mustKubectl({QStringLiteral("create"), QStringLiteral("-f"), file});

        const ProcessResult again = kubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QVERIFY(!again.ok());
        QVERIFY2(again.err.contains("Error from server (AlreadyExists)") &&
                again.err.contains("pods \"web-1\" already exists"),
            again.err.constData());

        // Running after the simulated kubelet's start delay.
        QDeadlineTimer deadline(10000);
        QByteArray phase;
        while (!deadline.hasExpired()) {
            phase = kubectl(
                {QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("web-1"), QStringLiteral("-n"),
                    QStringLiteral("conformance"), QStringLiteral("-o"), QStringLiteral("jsonpath={.status.phase}")})
                        .out;
            if (phase == "Running") {
                break;
            }
            QTest::qWait(100);
        }
        QCOMPARE(phase, QByteArray("Running"));

        const ProcessResult logs = kubectl(
            {QStringLiteral("logs"), QStringLiteral("web-1"), QStringLiteral("-n"), QStringLiteral("conformance")});
        QVERIFY2(logs.ok(), qPrintable(logs.describe({QStringLiteral("kubectl logs")})));
        QVERIFY2(logs.out.contains("starting web-1"), logs.out.constData());

        const ProcessResult deleted = kubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("web-1"),
            QStringLiteral("-n"), QStringLiteral("conformance")});
        QVERIFY2(deleted.ok(), qPrintable(deleted.describe({QStringLiteral("kubectl delete pod")})));
        QVERIFY(deleted.out.contains("pod \"web-1\" deleted"));

        const ProcessResult gone = kubectl({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("web-1"),
            QStringLiteral("-n"), QStringLiteral("conformance")});
        QVERIFY(!gone.ok());
        QVERIFY2(gone.err.contains("Error from server (NotFound): pods \"web-1\" not found"), gone.err.constData());
    }

    void watchSeesCreatedPod()
    {
        // An existing pod makes kubectl print a first row, which shows the watch is under way.
        const QString anchor = m_sim.writeFile(QStringLiteral("anchor.yaml"), podYaml("anchor-1", "conformance"));
        mustKubectl({QStringLiteral("create"), QStringLiteral("-f"), anchor});
        std::unique_ptr<QProcess> watch = m_sim.startKubectl({QStringLiteral("get"), QStringLiteral("pods"),
            QStringLiteral("-w"), QStringLiteral("-n"), QStringLiteral("conformance")});
        const auto stop = qScopeGuard([&] {
            watch->kill();
            watch->waitForFinished(5000);
        });
        QByteArray seen;
        QDeadlineTimer started(10000);
        while (!started.hasExpired() && !seen.contains("anchor-1")) {
            watch->waitForReadyRead(100);
            seen += watch->readAllStandardOutput();
        }
        QVERIFY2(seen.contains("anchor-1"), seen.constData());
        const QString file = m_sim.writeFile(QStringLiteral("watched.yaml"), podYaml("watched-1", "conformance"));
        mustKubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QDeadlineTimer deadline(10000);
        while (!deadline.hasExpired() && !seen.contains("watched-1")) {
            watch->waitForReadyRead(100);
            seen += watch->readAllStandardOutput();
        }
        QVERIFY2(seen.contains("watched-1"), seen.constData());
        mustKubectl({QStringLiteral("delete"), QStringLiteral("pod"), QStringLiteral("watched-1"),
            QStringLiteral("anchor-1"), QStringLiteral("-n"), QStringLiteral("conformance"),
            QStringLiteral("--grace-period=0"), QStringLiteral("--force")});
    }

    void canIHonoursForbidRules()
    {
        const ProcessResult yes = kubectl({QStringLiteral("auth"), QStringLiteral("can-i"), QStringLiteral("create"),
            QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("conformance")});
        QVERIFY2(yes.ok(), qPrintable(yes.describe({QStringLiteral("kubectl auth can-i")})));
        QCOMPARE(yes.out.trimmed(), QByteArray("yes"));
        const ProcessResult no = kubectl({QStringLiteral("auth"), QStringLiteral("can-i"), QStringLiteral("create"),
            QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("locked")});
        QCOMPARE(no.exitCode, 1);
        QCOMPARE(no.out.trimmed(), QByteArray("no"));
    }

    void serverDryRunStoresNothing()
    {
        const QString file = m_sim.writeFile(QStringLiteral("dry.yaml"), podYaml("dry-1", "conformance"));
        const ProcessResult dry =
            kubectl({QStringLiteral("create"), QStringLiteral("-f"), file, QStringLiteral("--dry-run=server")});
        QVERIFY2(dry.ok(), qPrintable(dry.describe({QStringLiteral("kubectl create --dry-run=server")})));
        QVERIFY2(dry.out.contains("pod/dry-1 created (server dry run)"), dry.out.constData());
        const ProcessResult gone = kubectl({QStringLiteral("get"), QStringLiteral("pod"), QStringLiteral("dry-1"),
            QStringLiteral("-n"), QStringLiteral("conformance")});
        QVERIFY(gone.err.contains("pods \"dry-1\" not found"));
    }

    void rbacRefusalShownVerbatim()
    {
        const QString file = m_sim.writeFile(QStringLiteral("locked.yaml"), podYaml("agent", "locked"));
        const ProcessResult refused = kubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QVERIFY(!refused.ok());
        QVERIFY2(refused.err.contains("Error from server (Forbidden)") &&
                refused.err.contains("pods is forbidden: User \"alice\" cannot create resource \"pods\" in API "
                                     "group \"\" in the namespace \"locked\""),
            refused.err.constData());
    }

    void podSecurityRefusalShownVerbatim()
    {
        const QByteArray extra = "  hostNetwork: true\n  hostPID: true\n  volumes:\n  - name: proc\n    hostPath:\n"
                                 "      path: /proc\n";
        QByteArray yaml = podYaml("sender", "secure", extra);
        yaml.replace("    image: registry.example.com/conformance:1.0\n",
            "    image: registry.example.com/conformance:1.0\n    securityContext:\n      privileged: true\n");
        const QString file = m_sim.writeFile(QStringLiteral("secure.yaml"), yaml);
        const ProcessResult refused = kubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QVERIFY(!refused.ok());
        for (const char *part : {"Error from server (Forbidden)",
                 "pods \"sender\" is forbidden: violates PodSecurity "
                 "\"restricted:latest\": ",
                 "host namespaces (hostNetwork=true, hostPID=true)",
                 "privileged (container \"main\" must not set securityContext.privileged=true)",
                 "restricted volume types (volume \"proc\" uses restricted volume type \"hostPath\")"}) {
            QVERIFY2(refused.err.contains(part), refused.err.constData());
        }
    }

    void quotaRefusal()
    {
        const QString file = m_sim.writeFile(QStringLiteral("full.yaml"), podYaml("one-too-many", "full"));
        const ProcessResult refused = kubectl({QStringLiteral("create"), QStringLiteral("-f"), file});
        QVERIFY(!refused.ok());
        QVERIFY2(refused.err.contains("pods \"one-too-many\" is forbidden: exceeded quota: kube-sim-quota, requested: "
                                      "pods=1, used: pods=0, limited: pods=0"),
            refused.err.constData());
    }

    void refusalsSwitchAtRuntime()
    {
        const QString body = m_sim.writeFile(
            QStringLiteral("refusals.json"), R"({"forbid":["create:pods:conformance"],"podSecurity":{},"quota":{}})");
        mustKubectl({QStringLiteral("create"), QStringLiteral("--raw"), QStringLiteral("/sim/refusals"),
            QStringLiteral("-f"), body});
        const ProcessResult no = kubectl({QStringLiteral("auth"), QStringLiteral("can-i"), QStringLiteral("create"),
            QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("conformance")});
        QCOMPARE(no.out.trimmed(), QByteArray("no"));
        const ProcessResult lockedNow = kubectl({QStringLiteral("auth"), QStringLiteral("can-i"),
            QStringLiteral("create"), QStringLiteral("pods"), QStringLiteral("-n"), QStringLiteral("locked")});
        QCOMPARE(lockedNow.out.trimmed(), QByteArray("yes"));
        // Restore the start-up rules for any later test.
        const QString restore = m_sim.writeFile(QStringLiteral("restore.json"),
            R"({"forbid":["create:pods:locked"],"podSecurity":{"secure":"restricted"},"quota":{"full":0}})");
        mustKubectl({QStringLiteral("create"), QStringLiteral("--raw"), QStringLiteral("/sim/refusals"),
            QStringLiteral("-f"), restore});
    }

    void tokenAuthWorks()
    {
        SimProcess tokenSim;
        QString error;
        QVERIFY2(tokenSim.start({QStringLiteral("--auth"), QStringLiteral("token"), QStringLiteral("--nodes"),
                                    QStringLiteral("2")},
                     &error),
            qPrintable(error));
        QFile config(tokenSim.kubeconfig());
        QVERIFY(config.open(QIODevice::ReadOnly));
        const QByteArray text = config.readAll();
        QVERIFY(text.contains("token: kube-sim."));
        QVERIFY(!text.contains("client-key-data"));
        const ProcessResult nodes = tokenSim.kubectl({QStringLiteral("get"), QStringLiteral("nodes")});
        QVERIFY2(nodes.ok(), qPrintable(nodes.describe({QStringLiteral("kubectl get nodes (token)")})));
        QCOMPARE(lineCount(nodes.out), 1 + 2);

        // The other sim's client certificate means nothing here.
        const ProcessResult stranger = tokenSim.kubectl(
            {QStringLiteral("--token"), QStringLiteral("wrong"), QStringLiteral("get"), QStringLiteral("nodes")});
        QVERIFY(!stranger.ok());
        QVERIFY2(stranger.err.contains("Unauthorized"), stranger.err.constData());
    }
};

QTEST_GUILESS_MAIN(TestKubeSimKubectl)
#include "tst_kube_sim_kubectl.moc"
