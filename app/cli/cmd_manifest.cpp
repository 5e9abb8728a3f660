// SPDX-License-Identifier: Apache-2.0
// `podtapctl manifest`: prints the sender (and receiver) agent pods for `kubectl create -f -`,
// accepting kokotap's flags so its users can switch without relearning.
#include "cli_support.h"
#include "commands.h"
#include "common/defaults.h"

#include "capture/capture_filter_compiler.h"
#include "kube/cluster_connection.h"
#include "kube/kube_client.h"
#include "tap/agent_namespace.h"
#include "tap/agent_pod_spec.h"
#include "tap/manifest_yaml.h"
#include "tap/session_id.h"
#include "tap/tap_planner.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTextStream>

#include <memory>
#include <optional>

namespace podtap::cli {
namespace {

/// Plans the tap with the same TapPlanner the console's sessions use, and waits for it (podtapctl is a
/// one-shot command). On failure prints what failed and its fix and returns nullopt.
std::optional<TapPlan> plan(kube::KubeClient *client, const TapRequest &request, const TapPlan &given, QTextStream &err)
{
    TapPlanner planner(client, request, given);
    QEventLoop loop;
    bool ok = false;
    QObject::connect(&planner, &TapPlanner::planned, &loop, [&] {
        ok = true;
        loop.quit();
    });
    QObject::connect(&planner, &TapPlanner::failed, &loop, [&](const QString &summary, const QString &fix) {
        err << "podtapctl manifest: " << summary << "\n";
        if (!fix.isEmpty()) {
            err << "podtapctl manifest: fix: " << fix << "\n";
        }
        loop.quit();
    });
    // Queued, so a planner that fails at once still finds the loop running.
    QMetaObject::invokeMethod(&planner, &TapPlanner::start, Qt::QueuedConnection);
    loop.exec();
    if (!ok) {
        return std::nullopt;
    }
    return planner.plan();
}

/// Whether the agent namespace is definitely missing (a 404); without the right to read
/// namespaces we cannot tell, and say nothing.
bool agentNamespaceMissing(kube::KubeClient &client, const QString &agentNamespace)
{
    kube::KubeReply *reply = client.get(kube::KubeClient::corePath(QStringLiteral("namespaces"), {}, agentNamespace));
    if (!reply->isFinished()) {
        QEventLoop loop;
        QObject::connect(reply, &kube::KubeReply::finished, &loop, &QEventLoop::quit);
        loop.exec();
    }
    const bool missing = reply->error().isNotFound();
    reply->deleteLater();
    return missing;
}

QDateTime heartbeatTime()
{
    // Reproducible output (checked-in examples, packaging) honours SOURCE_DATE_EPOCH.
    bool ok = false;
    const qint64 epoch = qEnvironmentVariable("SOURCE_DATE_EPOCH").toLongLong(&ok);
    return ok ? QDateTime::fromSecsSinceEpoch(epoch, Qt::UTC) : QDateTime::currentDateTimeUtc();
}

int usageError(QTextStream &err, const QString &message)
{
    err << "podtapctl manifest: " << message << "\nRun 'podtapctl manifest --help' for the options.\n";
    return 2;
}

int runManifest(const QStringList &args)
{
    QTextStream out(stdout);
    QTextStream err(stderr);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Print the podtap agent pods that mirror a pod's interface into VXLAN, for `kubectl create -f -`.\n"
        "Accepts kokotap's flags. With --dest-node a receiver pod is printed too; with --dest-ip the "
        "commands for the receiving host are printed on stderr; with neither, this machine receives."));
    parser.addHelpOption();
    const QCommandLineOption podOpt(
        QStringLiteral("pod"), QStringLiteral("Target pod (required)."), QStringLiteral("name"));
    const QCommandLineOption nsOpt(QStringList {QStringLiteral("n"), QStringLiteral("namespace")},
        QStringLiteral("Target pod's namespace (default: the context's, or \"default\")."), QStringLiteral("ns"));
    const QCommandLineOption ifOpt(QStringLiteral("pod-ifname"), QStringLiteral("Interface in the pod to mirror."),
        QStringLiteral("if"), QStringLiteral("eth0"));
    const QCommandLineOption dirOpt(QStringLiteral("mirrortype"), QStringLiteral("ingress, egress or both."),
        QStringLiteral("type"), QStringLiteral("both"));
    const QCommandLineOption destNodeOpt(QStringLiteral("dest-node"),
        QStringLiteral("Node that receives the mirror (a receiver pod runs there)."), QStringLiteral("node"));
    const QCommandLineOption destIpOpt(
        QStringLiteral("dest-ip"), QStringLiteral("IP that receives the mirror."), QStringLiteral("ip"));
    const QCommandLineOption vniOpt(QStringLiteral("vxlan-id"),
        QStringLiteral("VXLAN VNI (1-16777215); random when not given."), QStringLiteral("vni"));
    const QCommandLineOption portOpt(QStringLiteral("vxlan-port"), QStringLiteral("VXLAN UDP port."),
        QStringLiteral("port"), QStringLiteral("4789"));
    const QCommandLineOption ifnameOpt(QStringLiteral("ifname"),
        QStringLiteral("VXLAN interface name on the receiving side."), QStringLiteral("name"),
        QStringLiteral("mirror"));
    const QCommandLineOption imageOpt(QStringLiteral("image"), QStringLiteral("Agent image."), QStringLiteral("image"));
    const QCommandLineOption kubeconfigOpt(
        QStringLiteral("kubeconfig"), QStringLiteral("Kubeconfig file."), QStringLiteral("file"));
    const QCommandLineOption contextOpt(
        QStringLiteral("context"), QStringLiteral("Kubeconfig context."), QStringLiteral("name"));
    const QCommandLineOption agentNsOpt(QStringLiteral("agent-namespace"),
        QStringLiteral("Namespace the agent pods run in (never the target's)."), QStringLiteral("ns"),
        QString::fromLatin1(kDefaultAgentNamespace));
    const QCommandLineOption filterOpt(QStringLiteral("filter"),
        QStringLiteral("Capture filter (tcpdump syntax), applied in the kernel by the agent."), QStringLiteral("expr"));
    const QCommandLineOption durationOpt(QStringLiteral("max-duration"),
        QStringLiteral("Longest the tap may run (activeDeadlineSeconds), e.g. 15m, 1h."), QStringLiteral("duration"),
        QStringLiteral("1h"));
    const QCommandLineOption privilegedOpt(QStringLiteral("privileged"),
        QStringLiteral("Run the agent privileged (only for hosts whose SELinux policy needs it)."));
    const QCommandLineOption sessionOpt(QStringLiteral("session"),
        QStringLiteral("Session ID (10 of a-z0-9); random by default."), QStringLiteral("id"));
    const QCommandLineOption requestedByOpt(QStringLiteral("requested-by"),
        QStringLiteral("user@host for the podtap.io/requested-by annotation."), QStringLiteral("who"));
    const QCommandLineOption nodeOpt(QStringLiteral("target-node"),
        QStringLiteral("Offline: the target pod's node (skips the API lookup with the next two)."),
        QStringLiteral("node"));
    const QCommandLineOption nodeIpOpt(
        QStringLiteral("target-node-ip"), QStringLiteral("Offline: that node's InternalIP."), QStringLiteral("ip"));
    const QCommandLineOption containerOpt(QStringLiteral("container-id"),
        QStringLiteral("Offline: a running container of the target (e.g. containerd://<id>)."), QStringLiteral("id"));
    const QCommandLineOption destNodeIpOpt(QStringLiteral("dest-node-ip"),
        QStringLiteral("Offline: the InternalIP of --dest-node."), QStringLiteral("ip"));
    const QCommandLineOption outputOpt(QStringList {QStringLiteral("o"), QStringLiteral("output")},
        QStringLiteral("yaml (default) or json (a v1 List)."), QStringLiteral("format"), QStringLiteral("yaml"));
    const QCommandLineOption nsYamlOpt(QStringLiteral("agent-namespace-yaml"),
        QStringLiteral("Print only the agent namespace (with its Pod Security labels) and exit."));
    parser.addOptions({podOpt, nsOpt, ifOpt, dirOpt, destNodeOpt, destIpOpt, vniOpt, portOpt, ifnameOpt, imageOpt,
        kubeconfigOpt, contextOpt, agentNsOpt, filterOpt, durationOpt, privilegedOpt, sessionOpt, requestedByOpt,
        nodeOpt, nodeIpOpt, containerOpt, destNodeIpOpt, outputOpt, nsYamlOpt});

    if (!parser.parse(QStringList {QStringLiteral("podtapctl manifest")} + args)) {
        return usageError(err, parser.errorText());
    }
    if (parser.isSet(QStringLiteral("help"))) {
        printHelp(parser, QStringLiteral("manifest"));
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        return usageError(err, QStringLiteral("unexpected argument '%1'").arg(parser.positionalArguments().first()));
    }
    if (parser.isSet(nsYamlOpt)) {
        const QString ns = parser.value(agentNsOpt);
        if (!isDnsLabel(ns)) {
            return usageError(err, QStringLiteral("--agent-namespace \"%1\" is not a DNS label").arg(ns));
        }
        out << QString::fromUtf8(agentNamespaceYaml(ns));
        return 0;
    }
    if (!parser.isSet(podOpt)) {
        return usageError(err, QStringLiteral("--pod is required"));
    }
    if (parser.isSet(destNodeOpt) && parser.isSet(destIpOpt)) {
        return usageError(err, QStringLiteral("give either --dest-node or --dest-ip, not both"));
    }
    const QString format = parser.value(outputOpt);
    if (format != QLatin1String("yaml") && format != QLatin1String("json")) {
        return usageError(err, QStringLiteral("--output must be yaml or json, not \"%1\"").arg(format));
    }

    TapRequestFields fields;
    fields.targetNamespace = parser.isSet(nsOpt) ? parser.value(nsOpt) : QStringLiteral("default");
    fields.pod = parser.value(podOpt);
    fields.interfaceName = parser.value(ifOpt);
    fields.direction = parser.value(dirOpt);
    if (parser.isSet(destNodeOpt)) {
        fields.destination = QStringLiteral("node:") + parser.value(destNodeOpt);
    } else if (parser.isSet(destIpOpt)) {
        fields.destination = QStringLiteral("ip:") + parser.value(destIpOpt);
    }
    fields.vni = parser.value(vniOpt);
    fields.port = parser.value(portOpt);
    fields.captureFilter = parser.value(filterOpt);
    fields.maxDuration = parser.value(durationOpt);
    fields.agentNamespace = parser.value(agentNsOpt);
    fields.agentImage = parser.value(imageOpt);
    ValidationProblems problems;
    TapRequest request = TapRequest::fromFields(fields, &problems);
    if (!problems.isEmpty()) {
        for (const ValidationProblem &p : problems) {
            err << "podtapctl manifest: " << p.toString() << "\n";
        }
        return 2;
    }
    const QString sessionId = parser.isSet(sessionOpt) ? parser.value(sessionOpt) : generateSessionId();
    if (!isValidSessionId(sessionId)) {
        return usageError(err,
            QStringLiteral("--session \"%1\" must be %2 characters of a-z and 0-9")
                .arg(sessionId)
                .arg(kSessionIdLength));
    }

    TapPlan plan = TapPlan::fromRequest(request, sessionId);
    plan.privileged = parser.isSet(privilegedOpt);
    plan.receiverInterfaceName = parser.value(ifnameOpt);
    plan.requestedBy = parser.value(requestedByOpt);
    plan.heartbeat = heartbeatTime();
    // Nobody patches a heartbeat on pods made for kubectl: they run until `kubectl delete -f` or --max-duration.
    plan.heartbeatTimeoutSeconds = 0;
    if (!request.captureFilter.isEmpty()) {
        const CompiledFilter compiled = compileCaptureFilter(request.captureFilter);
        if (!compiled.ok()) {
            err << "podtapctl manifest: " << compiled.error << "\n";
            return 2;
        }
        plan.bpfBytecode = compiled.toArgument();
    }

    const bool offline = parser.isSet(nodeOpt) || parser.isSet(nodeIpOpt) || parser.isSet(containerOpt);
    std::unique_ptr<kube::KubeClient> client;
    if (offline) {
        if (!parser.isSet(nodeOpt) || !parser.isSet(nodeIpOpt) || !parser.isSet(containerOpt)) {
            return usageError(err, QStringLiteral("--target-node, --target-node-ip and --container-id go together"));
        }
        if (plan.destinationNode.size() && !parser.isSet(destNodeIpOpt)) {
            return usageError(err, QStringLiteral("with --target-node and --dest-node, give --dest-node-ip too"));
        }
        plan.targetNode = parser.value(nodeOpt);
        plan.targetNodeIp = parser.value(nodeIpOpt);
        plan.containerId = parser.value(containerOpt);
        if (!isIpLiteral(plan.targetNodeIp)) {
            return usageError(
                err, QStringLiteral("--target-node-ip \"%1\" is not an IPv4 or IPv6 address").arg(plan.targetNodeIp));
        }
        if (!plan.destinationNode.isEmpty()) {
            plan.destinationIp = parser.value(destNodeIpOpt);
        }
    } else {
        kube::ClusterConnection connection =
            kube::connectToCluster(parser.value(kubeconfigOpt), parser.value(contextOpt));
        if (!connection.client) {
            err << "podtapctl manifest: " << connection.error << "\n";
            return 1;
        }
        client = std::move(connection.client);
        if (!parser.isSet(nsOpt)) {
            request.targetNamespace = connection.namespaceName;
            plan.targetNamespace = connection.namespaceName;
        }
    }
    // Offline, nothing can be looked up: the planner only chooses the VNI and this machine's address.
    const auto planned = podtap::cli::plan(client.get(), request, plan, err);
    if (!planned) {
        return 1;
    }
    plan = *planned;
    if (client && agentNamespaceMissing(*client, plan.agentNamespace)) {
        err << "podtapctl manifest: warning: the agent namespace " << plan.agentNamespace
            << " does not exist, so `kubectl create` will refuse these pods; create it once with\n"
            << "  podtapctl manifest --agent-namespace-yaml --agent-namespace " << plan.agentNamespace
            << " | kubectl apply -f -\n";
    }
    const bool thisMachine = request.destination.endsHere();

    const ValidationProblems planProblems = validatePlan(plan);
    if (!planProblems.isEmpty()) {
        for (const ValidationProblem &p : planProblems) {
            err << "podtapctl manifest: " << p.toString() << "\n";
        }
        return 2;
    }

    QList<QJsonObject> pods {senderPod(plan)};
    if (!plan.destinationNode.isEmpty()) {
        pods << receiverPod(plan);
    }
    if (format == QLatin1String("json")) {
        QJsonArray items;
        for (const QJsonObject &pod : pods) {
            items.append(pod);
        }
        const QJsonObject list {{QStringLiteral("apiVersion"), QStringLiteral("v1")},
            {QStringLiteral("kind"), QStringLiteral("List")}, {QStringLiteral("items"), items}};
        out << QString::fromUtf8(QJsonDocument(list).toJson(QJsonDocument::Indented));
    } else {
        out << QString::fromUtf8(toYamlStream(pods));
    }
    out.flush();

    const QString ifname = plan.effectiveReceiverInterfaceName();
    if (request.destination.kind == Destination::Kind::Ip) {
        err << "# On " << plan.destinationIp << ", create the receiving VXLAN interface:\n"
            << "ip link add " << ifname << " type vxlan id " << plan.vni << " dstport " << plan.port << " remote "
            << plan.targetNodeIp << " nolearning\n"
            << "ip link set " << ifname << " up\n";
    } else if (thisMachine) {
        err << "# This machine (" << plan.destinationIp << ") receives; run as root, then capture on " << ifname
            << ":\n"
            << "podtap-agent receive --vni " << plan.vni << " --port " << plan.port << " --remote " << plan.targetNodeIp
            << " --name " << ifname << "\n";
    }
    return 0;
}

} // namespace

int runManifestCommand(const QStringList &args)
{
    return runManifest(args);
}

} // namespace podtap::cli
