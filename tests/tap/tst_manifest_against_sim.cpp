// SPDX-License-Identifier: Apache-2.0
#include "support/process.h"
#include "support/sim_process.h"
#include "tap/manifest_yaml.h"
#include "tap/preflight_fix.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTest>

using namespace podtap;
using namespace podtap::test;

/// @brief `podtapctl manifest` resolves the target through the API as kokotap does, and the real
/// kubectl creates what it prints (dry runs) on kube-sim; a Pod Security refusal maps to its fix.
class TestManifestAgainstSim final : public QObject
{
    Q_OBJECT

private:
    SimProcess m_sim;
    QString m_namespace, m_pod, m_node, m_containerId;

    QString jsonpath(const QStringList &what, const QString &expression)
    {
        const ProcessResult result =
            m_sim.kubectl(what + QStringList {QStringLiteral("-o"), QStringLiteral("jsonpath=") + expression});
        return result.ok() ? QString::fromUtf8(result.out).trimmed() : QString();
    }

    ProcessResult podtapctl(const QStringList &args)
    {
        return m_sim.runWithEnv(QStringList {builtExecutable(QStringLiteral("app/cli/podtapctl")),
                                    QStringLiteral("manifest"), QStringLiteral("--kubeconfig"), m_sim.kubeconfig()} +
                args,
            30000);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(
            m_sim.start({QStringLiteral("--nodes"), QStringLiteral("3"), QStringLiteral("--pods"), QStringLiteral("20"),
                            QStringLiteral("--namespaces"), QStringLiteral("2"), QStringLiteral("--seed"),
                            QStringLiteral("7"), QStringLiteral("--pod-security"), QStringLiteral("locked=baseline")},
                &error),
            qPrintable(error));
        const QString first = jsonpath({QStringLiteral("get"), QStringLiteral("pods"), QStringLiteral("-A"),
                                           QStringLiteral("--field-selector=status.phase=Running")},
            QStringLiteral("{.items[0].metadata.namespace} {.items[0].metadata.name} {.items[0].spec.nodeName} "
                           "{.items[0].status.containerStatuses[0].containerID}"));
        const QStringList parts = first.split(QLatin1Char(' '));
        QCOMPARE(parts.size(), 4);
        m_namespace = parts.at(0);
        m_pod = parts.at(1);
        m_node = parts.at(2);
        m_containerId = parts.at(3);
        const ProcessResult ns = m_sim.kubectl({QStringLiteral("create"), QStringLiteral("-f"),
            qEnvironmentVariable("PODTAP_SOURCE_DIR") + QStringLiteral("/manifests/namespace.yaml")});
        QVERIFY2(ns.ok(), ns.err.constData());
    }

    void resolvesThroughTheApiAndKubectlCreatesIt()
    {
        const QString nodeIp = jsonpath({QStringLiteral("get"), QStringLiteral("node"), m_node},
            QStringLiteral("{.status.addresses[?(@.type==\"InternalIP\")].address}"));
        const QString destNode =
            m_node == QLatin1String("node-001") ? QStringLiteral("node-002") : QStringLiteral("node-001");
        const QString destIp = jsonpath({QStringLiteral("get"), QStringLiteral("node"), destNode},
            QStringLiteral("{.status.addresses[?(@.type==\"InternalIP\")].address}"));
        QVERIFY(!nodeIp.isEmpty() && !destIp.isEmpty());

        const ProcessResult result =
            podtapctl({QStringLiteral("--namespace=") + m_namespace, QStringLiteral("--pod=") + m_pod,
                QStringLiteral("--dest-node=") + destNode, QStringLiteral("--vxlan-id=321")});
        QVERIFY2(result.ok(), result.err.constData());
        QList<QJsonObject> pods;
        QString error;
        QVERIFY2(parseYamlStream(result.out, &pods, &error), qPrintable(error));
        QCOMPARE(pods.size(), 2);
        const QJsonObject senderSpec = pods.at(0).value(QLatin1String("spec")).toObject();
        QCOMPARE(senderSpec.value(QLatin1String("nodeName")).toString(), m_node);
        QStringList args;
        for (const QJsonValue &v : senderSpec.value(QLatin1String("containers"))
                                       .toArray()
                                       .first()
                                       .toObject()
                                       .value(QLatin1String("args"))
                                       .toArray()) {
            args << v.toString();
        }
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--container-id")) + 1), m_containerId);
        QCOMPARE(args.at(args.indexOf(QStringLiteral("--remote")) + 1), destIp);
        const QJsonObject receiverSpec = pods.at(1).value(QLatin1String("spec")).toObject();
        QCOMPARE(receiverSpec.value(QLatin1String("nodeName")).toString(), destNode);
        QVERIFY2(result.out.contains(nodeIp.toUtf8()), "the receiver's --remote is the target node's InternalIP");

        for (const char *dryRun : {"--dry-run=server", "--dry-run=client"}) {
            const QStringList create {
                QStringLiteral("create"), QLatin1String(dryRun), QStringLiteral("-f"), QStringLiteral("-")};
            const ProcessResult created = m_sim.kubectl(create, 30000, result.out);
            QVERIFY2(created.ok(), qPrintable(created.describe(create)));
            QCOMPARE(created.out.count("created"), 2);
        }
    }

    void vniInUseOnTheNodeIsRefused()
    {
        // A tap already runs on the target's node with VNI 555: its pods carry the VNI annotation.
        const ProcessResult first = podtapctl({QStringLiteral("--namespace=") + m_namespace,
            QStringLiteral("--pod=") + m_pod, QStringLiteral("--dest-ip=192.0.2.1"), QStringLiteral("--vxlan-id=555"),
            QStringLiteral("--session=vniuse0001")});
        QVERIFY2(first.ok(), first.err.constData());
        const QStringList create {QStringLiteral("create"), QStringLiteral("-f"), QStringLiteral("-")};
        const ProcessResult created = m_sim.kubectl(create, 30000, first.out);
        QVERIFY2(created.ok(), qPrintable(created.describe(create)));
        const auto cleanup = qScopeGuard([this] {
            m_sim.kubectl({QStringLiteral("delete"), QStringLiteral("pods"), QStringLiteral("-n"),
                QStringLiteral("podtap"), QStringLiteral("-l"), QStringLiteral("podtap.io/session=vniuse0001")});
        });

        // The same VNI on the same node is refused, with the console's words and fix.
        const ProcessResult clash = podtapctl({QStringLiteral("--namespace=") + m_namespace,
            QStringLiteral("--pod=") + m_pod, QStringLiteral("--dest-ip=192.0.2.1"), QStringLiteral("--vxlan-id=555")});
        QCOMPARE(clash.exitCode, 1);
        QVERIFY(clash.out.isEmpty());
        QVERIFY2(clash.err.contains("VNI 555 is already used by another podtap session on node " + m_node.toUtf8()) &&
                clash.err.contains("Leave the VNI empty"),
            clash.err.constData());
    }

    void unknownPodIsAClearError()
    {
        const ProcessResult result = podtapctl({QStringLiteral("-n"), m_namespace, QStringLiteral("--pod"),
            QStringLiteral("no-such-pod"), QStringLiteral("--dest-ip"), QStringLiteral("192.0.2.1")});
        QCOMPARE(result.exitCode, 1);
        QVERIFY(result.out.isEmpty());
        // The same words as the console's session: both plan through TapPlanner.
        QVERIFY2(result.err.contains("Pod " + m_namespace.toUtf8() + "/no-such-pod was not found.") &&
                result.err.contains("kubectl get pods -n " + m_namespace.toUtf8()),
            result.err.constData());
    }

    void podSecurityRefusalMapsToItsFix()
    {
        const ProcessResult ns =
            m_sim.kubectl({QStringLiteral("create"), QStringLiteral("namespace"), QStringLiteral("locked")});
        QVERIFY2(ns.ok(), ns.err.constData());
        const ProcessResult manifest =
            podtapctl({QStringLiteral("-n"), m_namespace, QStringLiteral("--pod"), m_pod, QStringLiteral("--dest-ip"),
                QStringLiteral("192.0.2.1"), QStringLiteral("--agent-namespace"), QStringLiteral("locked")});
        QVERIFY2(manifest.ok(), manifest.err.constData());
        const QStringList create {
            QStringLiteral("create"), QStringLiteral("--dry-run=server"), QStringLiteral("-f"), QStringLiteral("-")};
        const ProcessResult refused = m_sim.kubectl(create, 30000, manifest.out);
        QVERIFY(!refused.ok());
        static const QRegularExpression serverMessage(
            QStringLiteral("Error from server \\((\\w+)\\): error when creating \"STDIN\": (.*)"));
        const auto match = serverMessage.match(QString::fromUtf8(refused.err).trimmed());
        QVERIFY2(match.hasMatch(), refused.err.constData());
        const PreflightFix fix =
            explainRefusal(ApiRefusal {403, match.captured(1), match.captured(2), QStringLiteral("pods"), {}},
                QStringLiteral("locked"));
        QCOMPARE(fix.category, PreflightFix::Category::PodSecurity);
        QCOMPARE(fix.fixCommand,
            QStringLiteral("kubectl label ns locked pod-security.kubernetes.io/enforce=privileged --overwrite"));
        // The fix is a command kubectl accepts as written. (kube-sim's refusals are switched by its
        // flags, not by namespace labels, so the retry is not part of this test.)
        const QStringList label = fix.fixCommand.split(QLatin1Char(' ')).mid(1);
        const ProcessResult labelled = m_sim.kubectl(label);
        QVERIFY2(labelled.ok(), qPrintable(labelled.describe(label)));
    }
};

QTEST_GUILESS_MAIN(TestManifestAgainstSim)
#include "tst_manifest_against_sim.moc"
