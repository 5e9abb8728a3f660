// SPDX-License-Identifier: Apache-2.0
// RowParser on hostile API objects (pods, nodes, namespaces) and timestamps: never crashes, rows keep
// what the object says, counts stay within what the object holds, and parsing is repeatable.
#include "cluster/row_parser.h"
#include "fuzz_support.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

using namespace podtap;
using namespace podtap::cluster;
using podtap::fuzz::require;

namespace {

bool samePod(const PodRow &a, const PodRow &b)
{
    return a.uid == b.uid && a.name == b.name && a.namespaceName == b.namespaceName && a.status == b.status &&
        a.phase == b.phase && a.restarts == b.restarts && a.readyContainers == b.readyContainers &&
        a.totalContainers == b.totalContainers && a.creationMs == b.creationMs && a.deletionMs == b.deletionMs &&
        a.labels == b.labels && a.containerIds == b.containerIds && a.interfaces.size() == b.interfaces.size();
}

void checkTimestamp(const QString &text)
{
    const qint64 ms = RowParser::parseTimestamp(text);
    // 0001-01-02 .. 9999-12-30: a value the parser returns there is one QDateTime can write back.
    if (ms == 0 || ms < -62135510400000LL || ms > 253402128000000LL) {
        return;
    }
    const QString written = QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
    require(RowParser::parseTimestamp(written) == ms, "a parsed timestamp does not survive writing it out");
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = fuzz::bytes(data, size);
    checkTimestamp(QString::fromUtf8(input.left(64)));

    const QJsonObject object = QJsonDocument::fromJson(input).object();
    StringPool pool;
    const RowParser parser(&pool);

    const PodRow pod = parser.pod(object);
    const QJsonObject metadata = object.value(QLatin1String("metadata")).toObject();
    const QJsonObject spec = object.value(QLatin1String("spec")).toObject();
    const QJsonObject status = object.value(QLatin1String("status")).toObject();
    require(pod.name == metadata.value(QLatin1String("name")).toString(), "pod name is not metadata.name");
    require(pod.uid == metadata.value(QLatin1String("uid")).toString(), "pod uid is not metadata.uid");
    require(pod.namespaceName == metadata.value(QLatin1String("namespace")).toString(), "wrong pod namespace");
    require(pod.totalContainers == spec.value(QLatin1String("containers")).toArray().size(),
        "total containers is not the number of spec.containers");
    require(pod.readyContainers >= 0 &&
            pod.readyContainers <= status.value(QLatin1String("containerStatuses")).toArray().size(),
        "more ready containers than container statuses");
    require(pod.labels.size() == metadata.value(QLatin1String("labels")).toObject().size(), "labels lost");
    require(pod.interfaces.size() <= 64, "more than 64 interfaces kept");
    require(pod.creationMs == RowParser::parseTimestamp(metadata.value(QLatin1String("creationTimestamp")).toString()),
        "creation time is not metadata.creationTimestamp");
    require(pod.deletionMs == 0 || pod.status == QLatin1String("Terminating") || pod.status == QLatin1String("Unknown"),
        "a pod being deleted is not shown as Terminating (or Unknown)");
    require(samePod(parser.pod(object), pod), "parsing the same pod twice gives different rows");

    const NodeRow node = parser.node(object);
    require(node.name == metadata.value(QLatin1String("name")).toString(), "node name is not metadata.name");
    const QString nodeStatus = node.status();
    require(nodeStatus.startsWith(QLatin1String("Ready")) || nodeStatus.startsWith(QLatin1String("NotReady")) ||
            nodeStatus.startsWith(QLatin1String("Unknown")),
        "node status is not Ready, NotReady or Unknown");
    require(node.unschedulable == nodeStatus.endsWith(QLatin1String(",SchedulingDisabled")),
        "SchedulingDisabled does not follow spec.unschedulable");

    const NamespaceRow ns = parser.namespaceRow(object);
    require(ns.name == metadata.value(QLatin1String("name")).toString(), "namespace name is not metadata.name");
    return 0;
}
