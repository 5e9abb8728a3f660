// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"
#include "tap/agent_pod_spec.h"
#include "tap/manifest_yaml.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStandardPaths>
#include <QTest>

using namespace podtap;
using namespace podtap::test;

namespace {

TapPlan plan()
{
    TapPlan plan;
    plan.sessionId = QStringLiteral("q1w2e3r4t5");
    plan.targetNamespace = QStringLiteral("shop");
    plan.targetPod = QStringLiteral("cart-7d9f8-x2k4q");
    plan.targetNode = QStringLiteral("worker-3");
    plan.targetNodeIp = QStringLiteral("192.0.2.13");
    plan.containerId = QStringLiteral("cri-o://0123456789abcdef0123456789abcdef");
    plan.destinationIp = QStringLiteral("192.0.2.14");
    plan.destinationNode = QStringLiteral("worker-4");
    plan.vni = 100;
    plan.bpfBytecode = QStringLiteral("4,40 0 0 12,21 0 1 2048,6 0 0 65535,6 0 0 0");
    plan.requestedBy = QStringLiteral("alice@laptop");
    plan.heartbeat = QDateTime(QDate(2026, 1, 2), QTime(3, 4, 5), Qt::UTC);
    return plan;
}

// Runs kubectl with no cluster configured, so it can never touch a real one by accident.
ProcessResult kubectl(const QStringList &args, const QByteArray &input)
{
    qputenv("KUBECONFIG", "/dev/null");
    return run(QStringList {QStringLiteral("kubectl")} + args, 60000, input);
}

} // namespace

/// @brief The real kubectl reads the generated YAML back as exactly the pods podtap meant, and
/// the Kubernetes API schema (python3-kubernetes' models) accepts every field.
///
/// `kubectl create --dry-run=client` needs a server for discovery; without one, `kubectl label
/// --local` is the part of kubectl that decodes manifests offline, and the schema check covers
/// field names and types.
class TestKubectlAcceptsPods final : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        if (QStandardPaths::findExecutable(QStringLiteral("kubectl")).isEmpty()) {
            QSKIP("kubectl is not installed (scripts/install-deps.sh test installs it)");
        }
    }

    void kubectlDecodesTheYamlToTheSameObject_data()
    {
        QTest::addColumn<QJsonObject>("pod");
        TapPlan privileged = plan();
        privileged.privileged = true;
        QTest::newRow("sender") << senderPod(plan());
        QTest::newRow("receiver") << receiverPod(plan());
        QTest::newRow("privileged sender") << senderPod(privileged);
    }

    void kubectlDecodesTheYamlToTheSameObject()
    {
        QFETCH(QJsonObject, pod);
        const QStringList args {QStringLiteral("label"), QStringLiteral("--local"), QStringLiteral("-f"),
            QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("json"),
            QStringLiteral("podtap.io/kubectl-check=yes")};
        const ProcessResult result = kubectl(args, toYaml(pod));
        QVERIFY2(result.ok(), qPrintable(result.describe(args)));
        QJsonParseError error {};
        QJsonObject decoded = QJsonDocument::fromJson(result.out, &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(error.errorString()));
        // Take off the label kubectl was asked to add; everything else must be ours, unchanged.
        QJsonObject metadata = decoded.value(QLatin1String("metadata")).toObject();
        QJsonObject labels = metadata.value(QLatin1String("labels")).toObject();
        QCOMPARE(labels.take(QStringLiteral("podtap.io/kubectl-check")).toString(), QStringLiteral("yes"));
        metadata.insert(QStringLiteral("labels"), labels);
        decoded.insert(QStringLiteral("metadata"), metadata);
        QCOMPARE(decoded, pod);
    }

    void apiSchemaAcceptsEveryField()
    {
        TapPlan privileged = plan();
        privileged.privileged = true;
        const QJsonArray pods {senderPod(plan()), receiverPod(plan()), senderPod(privileged)};
        const QString script =
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/tests/tap/validate_k8s_objects.py");
        const QStringList command {QStringLiteral("/usr/bin/python3"), script};
        const ProcessResult result = run(command, 60000, QJsonDocument(pods).toJson());
        if (result.err.contains("No module named 'kubernetes'")) {
            QSKIP("python3-kubernetes is not installed (scripts/install-deps.sh test installs it)");
        }
        QVERIFY2(
            result.ok(), qPrintable(result.describe(command) + QStringLiteral("\n") + QString::fromUtf8(result.out)));
    }

    void schemaCheckCatchesMistakes()
    {
        // The check above could fail: a misspelt field and a number where a string belongs are refused.
        QJsonObject pod = senderPod(plan());
        QJsonObject spec = pod.value(QLatin1String("spec")).toObject();
        spec.insert(QStringLiteral("hostPid"), true);
        QJsonArray containers = spec.value(QLatin1String("containers")).toArray();
        QJsonObject container = containers.first().toObject();
        container.insert(QStringLiteral("args"), QJsonArray {QStringLiteral("mirror"), QStringLiteral("--vni"), 100});
        containers.replace(0, container);
        spec.insert(QStringLiteral("containers"), containers);
        pod.insert(QStringLiteral("spec"), spec);
        const QString script =
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/tests/tap/validate_k8s_objects.py");
        const ProcessResult result =
            run({QStringLiteral("/usr/bin/python3"), script}, 60000, QJsonDocument(QJsonArray {pod}).toJson());
        if (result.err.contains("No module named 'kubernetes'")) {
            QSKIP("python3-kubernetes is not installed");
        }
        QCOMPARE(result.exitCode, 1);
        QVERIFY2(result.out.contains("spec.hostPid: unknown field"), result.out.constData());
        QVERIFY2(result.out.contains("args[2]: expected str"), result.out.constData());
    }

    void kubectlReadsTheMultiDocumentStream()
    {
        const QStringList args {QStringLiteral("label"), QStringLiteral("--local"), QStringLiteral("-f"),
            QStringLiteral("-"), QStringLiteral("-o"), QStringLiteral("name"),
            QStringLiteral("podtap.io/kubectl-check=yes")};
        const ProcessResult result = kubectl(args, toYamlStream({senderPod(plan()), receiverPod(plan())}));
        QVERIFY2(result.ok(), qPrintable(result.describe(args)));
        QCOMPARE(result.out,
            QByteArray("pod/podtap-cart-7d9f8-x2k4q-q1w2e3r4t5\npod/podtap-cart-7d9f8-x2k4q-q1w2e3r4t5-rx\n"));
    }
};

QTEST_GUILESS_MAIN(TestKubectlAcceptsPods)
#include "tst_kubectl_accepts_pods.moc"
