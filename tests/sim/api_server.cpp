// SPDX-License-Identifier: Apache-2.0
#include "api_server.h"

#include "exec_command.h"
#include "exec_session.h"
#include "http_server.h"
#include "json_writer.h"
#include "list_stream.h"
#include "log_follower.h"
#include "object_selector.h"
#include "object_writer.h"
#include "sim_kubelet.h"
#include "sim_store.h"
#include "sim_workloads.h"
#include "watch_stream.h"
#include "websocket.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>

#include <array>

namespace podtap::sim {

namespace {

const QByteArray jsonType = "application/json";

const QByteArray subdomainMessage =
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'example.com', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QByteArray labelMessage =
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end "
    "with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is "
    "'[a-z0-9]([-a-z0-9]*[a-z0-9])?')";

bool isDnsLabel(const QByteArray &name)
{
    static const QRegularExpression re(QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"));
    return name.size() <= 63 && re.match(QString::fromUtf8(name)).hasMatch();
}

bool isDnsSubdomain(const QByteArray &name)
{
    static const QRegularExpression re(
        QStringLiteral("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"));
    return name.size() <= 253 && re.match(QString::fromUtf8(name)).hasMatch();
}

QByteArray randomSuffix()
{
    static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
    QByteArray out(5, Qt::Uninitialized);
    for (char &c : out) {
        c = alphabet[QRandomGenerator::global()->bounded(27)];
    }
    return out;
}

StringPairs pairsFrom(const QJsonObject &object)
{
    StringPairs pairs;
    for (auto it = object.begin(); it != object.end(); ++it) {
        pairs.emplace_back(it.key().toUtf8(), it.value().toString().toUtf8());
    }
    return pairs;
}

QJsonValue mergePatch(const QJsonValue &target, const QJsonValue &patch, bool strategic)
{
    if (!patch.isObject()) {
        return patch;
    }
    QJsonObject result = target.isObject() ? target.toObject() : QJsonObject();
    const QJsonObject p = patch.toObject();
    for (auto it = p.begin(); it != p.end(); ++it) {
        if (strategic && it.key().startsWith(QLatin1Char('$'))) {
            continue;
        }
        if (it.value().isNull()) {
            result.remove(it.key());
        } else {
            result.insert(it.key(), mergePatch(result.value(it.key()), it.value(), strategic));
        }
    }
    return result;
}

// RFC 6902 on a QJsonValue tree; enough for add/replace/remove/test on nested objects and arrays.
bool jsonPatchApply(QJsonValue &node, QStringList path, const QString &op, const QJsonValue &value, QByteArray *error)
{
    if (path.isEmpty()) {
        if (op == QLatin1String("test")) {
            return node == value;
        }
        node = value;
        return true;
    }
    const QString head = path.takeFirst();
    if (node.isObject()) {
        QJsonObject object = node.toObject();
        if (path.isEmpty()) {
            if (op == QLatin1String("remove")) {
                if (!object.contains(head)) {
                    *error = "unable to remove nonexistent key: " + head.toUtf8();
                    return false;
                }
                object.remove(head);
            } else if (op == QLatin1String("test")) {
                return object.value(head) == value;
            } else {
                if (op == QLatin1String("replace") && !object.contains(head)) {
                    *error = "replace operation does not apply: doc is missing key: /" + head.toUtf8();
                    return false;
                }
                object.insert(head, value);
            }
            node = object;
            return true;
        }
        if (!object.contains(head)) {
            *error = "doc is missing path: " + head.toUtf8();
            return false;
        }
        QJsonValue child = object.value(head);
        if (!jsonPatchApply(child, path, op, value, error)) {
            return false;
        }
        object.insert(head, child);
        node = object;
        return true;
    }
    if (node.isArray()) {
        QJsonArray array = node.toArray();
        bool ok = false;
        const int index = head == QLatin1String("-") ? int(array.size()) : head.toInt(&ok);
        if (head != QLatin1String("-") && (!ok || index < 0 || index > array.size())) {
            *error = "invalid array index: " + head.toUtf8();
            return false;
        }
        if (path.isEmpty()) {
            if (op == QLatin1String("add")) {
                array.insert(index, value);
            } else if (index >= array.size()) {
                *error = "array index out of range: " + head.toUtf8();
                return false;
            } else if (op == QLatin1String("remove")) {
                array.removeAt(index);
            } else if (op == QLatin1String("test")) {
                return array.at(index) == value;
            } else {
                array.replace(index, value);
            }
            node = array;
            return true;
        }
        if (index >= array.size()) {
            *error = "array index out of range: " + head.toUtf8();
            return false;
        }
        QJsonValue child = array.at(index);
        if (!jsonPatchApply(child, path, op, value, error)) {
            return false;
        }
        array.replace(index, child);
        node = array;
        return true;
    }
    *error = "doc is missing path: " + head.toUtf8();
    return false;
}

QByteArray encodeContinue(quint64 rv, const QByteArray &key)
{
    JsonWriter json(128);
    json.beginObject().field("v", "meta.k8s.io/v1").field("rv", qint64(rv)).field("start", key + '\0').endObject();
    return json.data().toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

bool decodeContinue(const QByteArray &token, quint64 *rv, QByteArray *key)
{
    const QByteArray raw = QByteArray::fromBase64(token, QByteArray::Base64UrlEncoding);
    const QJsonObject object = QJsonDocument::fromJson(raw).object();
    if (object.value(QLatin1String("v")).toString() != QLatin1String("meta.k8s.io/v1")) {
        return false;
    }
    *rv = quint64(object.value(QLatin1String("rv")).toDouble());
    *key = object.value(QLatin1String("start")).toString().toUtf8();
    if (key->endsWith('\0')) {
        key->chop(1);
    }
    return *rv > 0;
}

ObjectWriter::TableObject tableObjectMode(const HttpRequest &request)
{
    const QByteArray mode = request.param("includeObject");
    if (mode == "None") {
        return ObjectWriter::TableObject::None;
    }
    if (mode == "Object") {
        return ObjectWriter::TableObject::Object;
    }
    return ObjectWriter::TableObject::Metadata;
}

bool wantsTable(const HttpRequest &request)
{
    return request.header("accept").contains("as=Table");
}

QByteArray discoveryResources()
{
    return R"({"kind":"APIResourceList","groupVersion":"v1","resources":[)"
           R"({"name":"namespaces","singularName":"namespace","namespaced":false,"kind":"Namespace","verbs":["create","delete","get","list","patch","update","watch"],"shortNames":["ns"],"storageVersionHash":"Q3oi5N2YM8M="},)"
           R"({"name":"nodes","singularName":"node","namespaced":false,"kind":"Node","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["no"],"storageVersionHash":"XwShjMxG9Fs="},)"
           R"({"name":"pods","singularName":"pod","namespaced":true,"kind":"Pod","verbs":["create","delete","deletecollection","get","list","patch","update","watch"],"shortNames":["po"],"categories":["all"],"storageVersionHash":"xPOwRZ+Yhw8="},)"
           R"({"name":"pods/exec","singularName":"","namespaced":true,"kind":"PodExecOptions","verbs":["create","get"]},)"
           R"({"name":"pods/log","singularName":"","namespaced":true,"kind":"Pod","verbs":["get"]},)"
           R"({"name":"pods/status","singularName":"","namespaced":true,"kind":"Pod","verbs":["get","patch","update"]}]})";
}

QByteArray openApiV3Root()
{
    return R"({"paths":{"api/v1":{"serverRelativeURL":"/openapi/v3/api/v1?hash=KUBESIM1"},)"
           R"("apis/authorization.k8s.io/v1":{"serverRelativeURL":"/openapi/v3/apis/authorization.k8s.io/v1?hash=KUBESIM1"}}})";
}

// Just enough OpenAPI for kubectl to see that the server validates fields itself (fieldValidation),
// so `kubectl create -f` runs with its default validation and no client-side schema.
QByteArray openApiV3Core()
{
    JsonWriter json(2048);
    json.beginObject().field("openapi", "3.0.0");
    json.key("info").beginObject().field("title", "Kubernetes").field("version", "v1.31.4").endObject();
    json.key("paths").beginObject();
    const struct
    {
        const char *path;
        const char *kind;
    } items[] = {{"/api/v1/namespaces/{namespace}/pods/{name}", "Pod"}, {"/api/v1/namespaces/{name}", "Namespace"},
        {"/api/v1/nodes/{name}", "Node"}};
    for (const auto &item : items) {
        json.key(item.path).beginObject();
        for (const char *verb : {"get", "patch"}) {
            json.key(verb).beginObject();
            json.key("x-kubernetes-group-version-kind")
                .beginObject()
                .field("group", "")
                .field("version", "v1")
                .field("kind", item.kind)
                .endObject();
            json.key("parameters").beginArray();
            for (const char *param : {"dryRun", "fieldManager", "fieldValidation", "force"}) {
                json.beginObject().field("name", param).field("in", "query");
                json.key("schema").beginObject().field("type", "string").endObject().endObject();
            }
            json.endArray();
            json.key("responses").beginObject().endObject();
            json.endObject();
        }
        json.endObject();
    }
    json.endObject();
    json.key("components").beginObject().key("schemas").beginObject().endObject().endObject();
    json.endObject();
    return json.take();
}

} // namespace

QByteArray statusReason(int code)
{
    switch (code) {
    case 400:
        return "BadRequest";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "NotFound";
    case 409:
        return "Conflict";
    case 410:
        return "Expired";
    case 429:
        return "TooManyRequests";
    case 503:
        return "ServiceUnavailable";
    case 504:
        return "Timeout";
    default:
        return "InternalError";
    }
}

void sendStatus(HttpConnection *connection, int code, const QByteArray &reason, const QByteArray &message,
    const QByteArray &detailsName, const QByteArray &detailsKind, const std::vector<std::array<QByteArray, 3>> &causes)
{
    JsonWriter json(512);
    json.beginObject().field("kind", "Status").field("apiVersion", "v1");
    json.key("metadata").beginObject().endObject();
    json.field("status", "Failure").field("message", message).field("reason", reason);
    if (!detailsName.isEmpty() || !detailsKind.isEmpty() || !causes.empty()) {
        json.key("details").beginObject();
        if (!detailsName.isEmpty()) {
            json.field("name", detailsName);
        }
        if (!detailsKind.isEmpty()) {
            json.field("kind", detailsKind);
        }
        if (!causes.empty()) {
            json.key("causes").beginArray();
            for (const auto &cause : causes) {
                json.beginObject()
                    .field("reason", cause[0])
                    .field("message", cause[1])
                    .field("field", cause[2])
                    .endObject();
            }
            json.endArray();
        }
        json.endObject();
    }
    json.field("code", code).endObject();
    connection->respond(code, jsonType, json.data());
}

ApiServer::ApiServer(SimStore *store, SimKubelet *kubelet, Options options, QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_kubelet(kubelet)
    , m_options(std::move(options))
{
}

void ApiServer::handle(HttpConnection *connection, const HttpRequest &request)
{
    if (!request.authenticated) {
        sendStatus(connection, 401, "Unauthorized", "Unauthorized");
        return;
    }
    if (!request.path.startsWith("/sim/")) {
        ++m_stats.requests;
        const int failure = m_options.faults.failStatusCode;
        if (failure > 0) {
            sendStatus(connection, failure, statusReason(failure),
                "kube-sim: the server is failing every request (POST /sim/faults to recover)");
            return;
        }
    }
    const auto impersonates = [&request] {
        for (auto it = request.headers.cbegin(); it != request.headers.cend(); ++it) {
            if (it.key().startsWith("impersonate-")) {
                return true;
            }
        }
        return false;
    };
    if (impersonates()) {
        impersonate(connection, request);
        return;
    }
    route(connection, request);
}

void ApiServer::impersonate(HttpConnection *connection, const HttpRequest &request)
{
    // As the API server's impersonation filter: the caller needs `impersonate` on users, groups and
    // uids (checked with the caller's own identity), then the request runs as the impersonated user.
    const QByteArray user = request.header("impersonate-user");
    const QByteArrayList groups = request.header("impersonate-group").split('\n');
    const QByteArray uid = request.header("impersonate-uid");
    if (user.isEmpty()) {
        sendStatus(connection, 500, "InternalError",
            "Internal error occurred: requested impersonation of groups or uid without impersonating a user");
        return;
    }
    if (!checkAccess(connection, request, "impersonate", "users", {}, user)) {
        return;
    }
    for (const QByteArray &group : groups) {
        if (!group.isEmpty() && !checkAccess(connection, request, "impersonate", "groups", {}, group)) {
            return;
        }
    }
    if (!uid.isEmpty() && !checkAccess(connection, request, "impersonate", "uids", {}, uid)) {
        return;
    }
    // Impersonate-Extra-<key>: the key percent-encoded by the client, lower-cased by Go's header
    // canonicalisation; checked as userextras/<key> in authentication.k8s.io, one value at a time.
    for (auto it = request.headers.cbegin(); it != request.headers.cend(); ++it) {
        static const QByteArray prefix = "impersonate-extra-";
        if (!it.key().startsWith(prefix)) {
            continue;
        }
        const QByteArray key = QByteArray::fromPercentEncoding(it.key().mid(prefix.size()));
        for (const QByteArray &value : it.value().split('\n')) {
            if (m_refusals.isForbidden("impersonate", "userextras/" + key, {}, request.user)) {
                sendStatus(connection, 403, "Forbidden",
                    "userextras.authentication.k8s.io \"" + value + "\" is forbidden: User \"" + request.user +
                        "\" cannot impersonate resource \"userextras/" + key +
                        "\" in API group \"authentication.k8s.io\" at the cluster scope",
                    value, "userextras");
                return;
            }
        }
    }
    HttpRequest effective = request;
    effective.user = user;
    effective.groups.clear();
    for (const QByteArray &group : groups) {
        if (!group.isEmpty()) {
            effective.groups << group;
        }
    }
    effective.groups << "system:authenticated";
    route(connection, effective);
}

void ApiServer::route(HttpConnection *connection, const HttpRequest &request)
{
    const QByteArray &path = request.path;
    const bool get = request.method == "GET";
    if (get && path == "/version") {
        connection->respond(200, jsonType,
            R"({"major":"1","minor":"31","gitVersion":"v1.31.4","gitCommit":"a78aa47129b8539636eb86a9d00e31b2720fe06b","gitTreeState":"clean","buildDate":"2024-12-10T18:36:22Z","goVersion":"go1.22.9","compiler":"gc","platform":"linux/amd64"})");
        return;
    }
    if (get && (path == "/healthz" || path == "/livez" || path == "/readyz")) {
        connection->respond(200, "text/plain; charset=utf-8", "ok");
        return;
    }
    if (get && path == "/api") {
        connection->respond(200, jsonType,
            R"({"kind":"APIVersions","versions":["v1"],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":")" +
                m_options.serverAddress + "\"}]}");
        return;
    }
    if (get && path == "/apis") {
        connection->respond(200, jsonType,
            R"({"kind":"APIGroupList","apiVersion":"v1","groups":[)" + workloads::groupListEntries() +
                R"(,{"name":"authorization.k8s.io","versions":[{"groupVersion":"authorization.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"authorization.k8s.io/v1","version":"v1"}}]})");
        return;
    }
    if (get && path == "/apis/authorization.k8s.io") {
        connection->respond(200, jsonType,
            R"({"kind":"APIGroup","apiVersion":"v1","name":"authorization.k8s.io","versions":[{"groupVersion":"authorization.k8s.io/v1","version":"v1"}],"preferredVersion":{"groupVersion":"authorization.k8s.io/v1","version":"v1"}})");
        return;
    }
    if (get && path == "/apis/authorization.k8s.io/v1") {
        connection->respond(200, jsonType,
            R"({"kind":"APIResourceList","apiVersion":"v1","groupVersion":"authorization.k8s.io/v1","resources":[{"name":"selfsubjectaccessreviews","singularName":"selfsubjectaccessreview","namespaced":false,"kind":"SelfSubjectAccessReview","verbs":["create"]}]})");
        return;
    }
    if (get && path == "/api/v1") {
        connection->respond(200, jsonType, discoveryResources());
        return;
    }
    if (get && path == "/openapi/v3") {
        connection->respond(200, jsonType, openApiV3Root());
        return;
    }
    if (get && path == "/openapi/v3/api/v1") {
        connection->respond(200, jsonType, openApiV3Core());
        return;
    }
    if (path == "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") {
        if (request.method != "POST") {
            sendStatus(
                connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return;
        }
        accessReview(connection, request);
        return;
    }
    if (path.startsWith("/sim/")) {
        admin(connection, request);
        return;
    }
    if (routeWorkloads(connection, request)) {
        return;
    }
    if (path.startsWith("/api/v1/")) {
        QByteArrayList segments = path.mid(8).split('/');
        while (!segments.isEmpty() && segments.last().isEmpty()) {
            segments.removeLast();
        }
        if (routeCore(connection, request, segments)) {
            return;
        }
    }
    sendStatus(connection, 404, "NotFound", "the server could not find the requested resource");
}

bool ApiServer::routeCore(HttpConnection *connection, const HttpRequest &request, const QByteArrayList &input)
{
    Target target;
    QByteArrayList segments = input;
    if (!segments.isEmpty() && segments.first() == "watch") {
        target.watchPath = true;
        segments.removeFirst();
    }
    const qsizetype n = segments.size();
    if (n == 0) {
        return false;
    }
    if (segments[0] == "namespaces") {
        if (n >= 3) {
            if (segments[2] != "pods" || n > 5) {
                return false;
            }
            target.kind = Kind::Pod;
            target.ns = segments[1];
            target.name = n >= 4 ? segments[3] : QByteArray();
            target.subresource = n == 5 ? segments[4] : QByteArray();
            if (!target.subresource.isEmpty() && target.subresource != "log" && target.subresource != "exec") {
                return false;
            }
        } else {
            target.kind = Kind::Namespace;
            target.name = n == 2 ? segments[1] : QByteArray();
        }
    } else if (segments[0] == "nodes" && n <= 2) {
        target.kind = Kind::Node;
        target.name = n == 2 ? segments[1] : QByteArray();
    } else if (segments[0] == "pods" && n == 1) {
        target.kind = Kind::Pod;
    } else {
        return false;
    }
    serveResource(connection, request, target);
    return true;
}

bool ApiServer::checkAccess(HttpConnection *connection, const HttpRequest &request, const QByteArray &verb,
    const QByteArray &resource, const QByteArray &ns, const QByteArray &name)
{
    if (!m_refusals.isForbidden(verb, resource, ns, request.user)) {
        return true;
    }
    const QByteArray base = resource.split('/').first();
    const QByteArray group = workloads::apiGroupOfResource(base);
    const QByteArray qualified = group.isEmpty() ? base : base + '.' + group; // "deployments.apps"
    QByteArray message = name.isEmpty() ? qualified : qualified + " \"" + name + '"';
    message += " is forbidden: User \"" + request.user + "\" cannot " + verb + " resource \"" + resource +
        "\" in API group \"" + group + '"';
    message += ns.isEmpty() ? QByteArray(" at the cluster scope") : " in the namespace \"" + ns + '"';
    sendStatus(connection, 403, "Forbidden", message, name, base);
    return false;
}

void ApiServer::serveResource(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const QByteArray resource = resourceName(target.kind);
    const QByteArray &method = request.method;
    const bool watching =
        target.watchPath || request.param("watch").toLower() == "true" || request.param("watch") == "1";
    const QByteArray scopeNs = target.kind == Kind::Namespace ? target.name : target.ns;

    if (target.subresource == "exec") {
        podExec(connection, request, target);
        return;
    }
    if (target.subresource == "log") {
        if (method != "GET") {
            sendStatus(
                connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
            return;
        }
        if (checkAccess(connection, request, "get", "pods/log", target.ns, target.name)) {
            podLog(connection, request, target);
        }
        return;
    }
    if (target.name.isEmpty()) {
        if (method == "GET") {
            const QByteArray verb = watching ? "watch" : "list";
            if (!checkAccess(connection, request, verb, resource, target.ns, {})) {
                return;
            }
            if (watching) {
                watch(connection, request, target);
            } else {
                list(connection, request, target);
            }
            return;
        }
        if (method == "POST" && target.kind != Kind::Node) {
            if (!checkAccess(connection, request, "create", resource, target.ns, {})) {
                return;
            }
            if (target.kind == Kind::Pod) {
                createPod(connection, request, target);
            } else {
                createNamespace(connection, request);
            }
            return;
        }
    } else {
        if (method == "GET") {
            if (watching) {
                if (!checkAccess(connection, request, "watch", resource, scopeNs, target.name)) {
                    return;
                }
                watch(connection, request, target);
                return;
            }
            if (checkAccess(connection, request, "get", resource, isNamespaced(target.kind) ? target.ns : QByteArray(),
                    target.name)) {
                get(connection, request, target);
            }
            return;
        }
        const QByteArray ns = isNamespaced(target.kind) ? target.ns : QByteArray();
        if (method == "DELETE" && target.kind != Kind::Node) {
            if (!checkAccess(connection, request, "delete", resource, ns, target.name)) {
                return;
            }
            if (target.kind == Kind::Pod) {
                deletePod(connection, request, target);
            } else {
                deleteNamespace(connection, request, target);
            }
            return;
        }
        if (method == "PATCH") {
            if (checkAccess(connection, request, "patch", resource, ns, target.name)) {
                patch(connection, request, target);
            }
            return;
        }
    }
    sendStatus(connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

void ApiServer::sendObject(HttpConnection *connection, int status, const SimObject &object)
{
    JsonWriter json(4096);
    ObjectWriter::writeObject(json, object, true);
    connection->respond(status, jsonType, json.data());
}

void ApiServer::sendTableOrObject(HttpConnection *connection, const HttpRequest &request, const SimObject &object)
{
    if (!wantsTable(request)) {
        sendObject(connection, 200, object);
        return;
    }
    JsonWriter json(4096);
    json.beginObject().field("kind", "Table").field("apiVersion", "meta.k8s.io/v1");
    json.key("metadata").beginObject().field("resourceVersion", QByteArray::number(object.resourceVersion)).endObject();
    ObjectWriter::writeTableColumns(json, object.kind);
    json.key("rows").beginArray();
    ObjectWriter::writeTableRow(json, object, tableObjectMode(request), SimStore::nowMs());
    json.endArray().endObject();
    connection->respond(200, jsonType, json.data());
}

void ApiServer::get(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const ObjectPtr object =
        m_store->find(target.kind, isNamespaced(target.kind) ? target.ns : QByteArray(), target.name);
    if (!object) {
        const QByteArray group = apiGroupOf(target.kind);
        const QByteArray resource = resourceName(target.kind);
        sendStatus(connection, 404, "NotFound",
            (group.isEmpty() ? resource : resource + '.' + group) + " \"" + target.name + "\" not found", target.name,
            resource);
        return;
    }
    sendTableOrObject(connection, request, *object);
}

void ApiServer::list(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    ++m_stats.lists;
    ObjectSelector selector;
    QByteArray error;
    if (!selector.parse(target.kind, request.param("labelSelector"), request.param("fieldSelector"), &error)) {
        sendStatus(connection, 400, "BadRequest", error);
        return;
    }
    bool limitOk = false;
    const qint64 limit = request.param("limit").toLongLong(&limitOk);
    const bool paged = limitOk && limit > 0;
    const QByteArray token = request.param("continue");
    quint64 listVersion = m_store->resourceVersion();
    QByteArray startAfter;
    if (!token.isEmpty()) {
        if (!decodeContinue(token, &listVersion, &startAfter)) {
            sendStatus(connection, 400, "BadRequest", "continue key is not valid: invalid continue token");
            return;
        }
        if (m_options.expireAfterEvents > 0 && listVersion + m_options.expireAfterEvents < m_store->resourceVersion()) {
            sendStatus(connection, 410, "Expired",
                "The provided continue parameter is too old to display a consistent list result. You can start "
                "a new list without the continue parameter, or use the continue token in this response to "
                "retrieve the remainder of the results. Continuing with the provided token results in an "
                "inconsistent list - objects that were created, modified, or deleted between the time the first "
                "chunk was returned and now may show up in the list.");
            return;
        }
    }
    const SimStore::ObjectMap &objects = m_store->objects(target.kind);
    const QByteArray prefix = target.ns.isEmpty() ? QByteArray() : target.ns + '/';
    auto it = startAfter.isEmpty() ? objects.lower_bound(prefix) : objects.upper_bound(startAfter);
    const bool table = wantsTable(request);
    const auto tableObject = tableObjectMode(request);
    const qint64 now = SimStore::nowMs();

    JsonWriter head(1024);
    head.beginObject();
    if (table) {
        head.field("kind", "Table").field("apiVersion", "meta.k8s.io/v1");
    } else {
        head.field("kind", kindName(target.kind) + QByteArray("List")).field("apiVersion", apiVersionOf(target.kind));
    }
    head.key("metadata").beginObject().field("resourceVersion", QByteArray::number(listVersion));

    if (!paged && objects.size() > 2000) {
        head.endObject();
        if (table) {
            ObjectWriter::writeTableColumns(head, target.kind);
        }
        head.key(table ? "rows" : "items");
        QByteArray opening = head.take();
        opening.append('[');
        ListStream::Options options;
        options.kind = target.kind;
        options.prefix = prefix;
        options.selector = selector;
        options.table = table;
        options.tableObject = tableObject;
        new ListStream(connection, m_store, std::move(options), opening, this);
        return;
    }

    JsonWriter json(paged ? limit * 1500 + 4096 : qsizetype(objects.size()) * 1500 + 4096);
    json.beginArray();
    qint64 count = 0;
    QByteArray lastKey;
    bool more = false;
    for (; it != objects.end(); ++it) {
        if (!prefix.isEmpty() && !it->first.startsWith(prefix)) {
            break;
        }
        if (!selector.matches(*it->second)) {
            continue;
        }
        if (paged && count == limit) {
            more = true;
            break;
        }
        if (table) {
            ObjectWriter::writeTableRow(json, *it->second, tableObject, now);
        } else {
            ObjectWriter::writeObject(json, *it->second, false);
        }
        lastKey = it->first;
        ++count;
    }
    json.endArray();
    if (more) {
        // remainingItemCount is optional and would cost a walk over the rest of the store.
        head.field("continue", encodeContinue(listVersion, lastKey));
    }
    head.endObject();
    if (table) {
        ObjectWriter::writeTableColumns(head, target.kind);
    }
    head.key(table ? "rows" : "items");
    QByteArray body = head.take();
    body.reserve(body.size() + json.size() + 2);
    body.append(json.data());
    body.append('}');
    if (qEnvironmentVariableIsSet("PODTAP_SIM_DEBUG")) {
        qInfo("list %s: %lld items, %lld bytes in %lld ms", resourceName(target.kind), count, qint64(body.size()),
            SimStore::nowMs() - now);
    }
    connection->respond(200, jsonType, body);
}

void ApiServer::watch(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    ++m_stats.watches;
    if (const int refusal = m_options.faults.watchStatusCode; refusal > 0) {
        sendStatus(connection, refusal, statusReason(refusal),
            refusal == 410 ? QByteArray("too old resource version: " + request.param("resourceVersion") + " (" +
                                 QByteArray::number(m_store->resourceVersion()) + ')')
                           : QByteArray("kube-sim: injected watch refusal (--watch-status)"));
        return;
    }
    WatchStream::Options options;
    options.kind = target.kind;
    options.ns = isNamespaced(target.kind) ? target.ns : QByteArray();
    QByteArray fieldSelector = request.param("fieldSelector");
    if (!target.name.isEmpty()) {
        fieldSelector = "metadata.name=" + target.name + (fieldSelector.isEmpty() ? "" : "," + fieldSelector);
    }
    QByteArray error;
    if (!options.selector.parse(target.kind, request.param("labelSelector"), fieldSelector, &error)) {
        sendStatus(connection, 400, "BadRequest", error);
        return;
    }
    options.table = wantsTable(request);
    options.tableObject = tableObjectMode(request);
    options.bookmarks = request.param("allowWatchBookmarks").toLower() == "true";
    options.bookmarkIntervalMs = m_options.bookmarkIntervalMs;
    options.timeoutSeconds = request.param("timeoutSeconds").toInt();
    options.dropAfterMs = m_options.dropWatchAfterMs;
    options.expireAfter = m_options.expireAfterEvents;
    options.closeAfterMs = m_options.faults.closeWatchAfterMs;
    options.errorCode = m_options.faults.watchErrorCode;
    options.stall = m_options.faults.stallWatches;

    const QByteArray rvParam = request.param("resourceVersion");
    std::vector<WatchEvent> initial;
    quint64 start = m_store->resourceVersion();
    if (!rvParam.isEmpty() && rvParam != "0") {
        bool ok = false;
        start = rvParam.toULongLong(&ok);
        if (!ok) {
            sendStatus(connection, 400, "BadRequest",
                "invalid resource version: strconv.ParseUint: parsing \"" + rvParam + "\": invalid syntax");
            return;
        }
        const bool tooOld =
            m_options.expireAfterEvents > 0 && start + m_options.expireAfterEvents < m_store->resourceVersion();
        auto events = tooOld ? std::nullopt : m_store->eventsSince(start);
        if (!events) {
            sendStatus(connection, 410, "Expired",
                "too old resource version: " + rvParam + " (" +
                    QByteArray::number(std::max(m_store->oldestWatchableVersion(), start + 1)) + ')');
            return;
        }
        initial = std::move(*events);
    } else {
        // No resourceVersion: the current state as ADDED events, then changes.
        const SimStore::ObjectMap &objects = m_store->objects(target.kind);
        const QByteArray prefix = options.ns.isEmpty() ? QByteArray() : options.ns + '/';
        for (auto it = objects.lower_bound(prefix); it != objects.end(); ++it) {
            if (!prefix.isEmpty() && !it->first.startsWith(prefix)) {
                break;
            }
            WatchEvent event;
            event.type = WatchEvent::Type::Added;
            event.resourceVersion = start;
            event.object = it->second;
            initial.push_back(std::move(event));
        }
    }
    auto *stream = new WatchStream(connection, m_store, std::move(options), start, initial, this);
    connect(this, &ApiServer::bookmarkRequested, stream, &WatchStream::sendBookmark);
    connect(this, &ApiServer::endWatchesRequested, stream, &WatchStream::finish);
}

void ApiServer::createPod(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
    if (!document.isObject()) {
        sendStatus(connection, 400, "BadRequest",
            "error decoding pod: couldn't get version/kind; json parse error: " + parseError.errorString().toUtf8());
        return;
    }
    const QJsonObject body = document.object();
    const QString kind = body.value(QLatin1String("kind")).toString();
    if (!kind.isEmpty() && kind != QLatin1String("Pod")) {
        sendStatus(connection, 400, "BadRequest",
            "the API version in the data (" + body.value(QLatin1String("apiVersion")).toString().toUtf8() +
                ") does not match the expected API version (v1) for kind " + kind.toUtf8());
        return;
    }
    const QJsonObject metadata = body.value(QLatin1String("metadata")).toObject();
    const QByteArray bodyNs = metadata.value(QLatin1String("namespace")).toString().toUtf8();
    if (!bodyNs.isEmpty() && bodyNs != target.ns) {
        sendStatus(connection, 400, "BadRequest",
            "the namespace of the provided object does not match the namespace sent on the request");
        return;
    }
    if (!m_store->find(Kind::Namespace, {}, target.ns)) {
        sendStatus(connection, 404, "NotFound", "namespaces \"" + target.ns + "\" not found", target.ns, "namespaces");
        return;
    }
    auto pod = std::make_shared<SimPod>();
    pod->ns = target.ns;
    pod->name = metadata.value(QLatin1String("name")).toString().toUtf8();
    pod->generateName = metadata.value(QLatin1String("generateName")).toString().toUtf8();
    if (pod->name.isEmpty() && !pod->generateName.isEmpty()) {
        pod->name = pod->generateName + randomSuffix();
    }
    pod->labels = pairsFrom(metadata.value(QLatin1String("labels")).toObject());
    pod->annotations = pairsFrom(metadata.value(QLatin1String("annotations")).toObject());
    for (const QJsonValue &value : metadata.value(QLatin1String("ownerReferences")).toArray()) {
        const QJsonObject owner = value.toObject();
        pod->owners.push_back({owner.value(QLatin1String("apiVersion")).toString().toUtf8(),
            owner.value(QLatin1String("kind")).toString().toUtf8(),
            owner.value(QLatin1String("name")).toString().toUtf8(),
            owner.value(QLatin1String("uid")).toString().toUtf8(), owner.value(QLatin1String("controller")).toBool()});
    }
    QJsonObject spec = body.value(QLatin1String("spec")).toObject();

    // Validation, with the real server's wording.
    std::vector<std::array<QByteArray, 3>> causes;
    QByteArrayList messages;
    const auto invalid = [&](const QByteArray &reason, const QByteArray &field, const QByteArray &detail) {
        causes.push_back({reason, detail, field});
        messages.append(field + ": " + detail);
    };
    if (pod->name.isEmpty()) {
        invalid("FieldValueRequired", "metadata.name", "Required value: name or generateName is required");
    } else if (!isDnsSubdomain(pod->name)) {
        invalid("FieldValueInvalid", "metadata.name", "Invalid value: \"" + pod->name + "\": " + subdomainMessage);
    }
    const QJsonArray containers = spec.value(QLatin1String("containers")).toArray();
    if (containers.isEmpty()) {
        invalid("FieldValueRequired", "spec.containers", "Required value");
    }
    QByteArrayList seen;
    for (int i = 0; i < containers.size(); ++i) {
        const QJsonObject c = containers.at(i).toObject();
        const QByteArray field = "spec.containers[" + QByteArray::number(i) + ']';
        const QByteArray cname = c.value(QLatin1String("name")).toString().toUtf8();
        if (cname.isEmpty()) {
            invalid("FieldValueRequired", field + ".name", "Required value");
        } else if (!isDnsLabel(cname)) {
            invalid("FieldValueInvalid", field + ".name", "Invalid value: \"" + cname + "\": " + labelMessage);
        } else if (seen.contains(cname)) {
            invalid("FieldValueDuplicate", field + ".name", "Duplicate value: \"" + cname + '"');
        }
        seen.append(cname);
        if (c.value(QLatin1String("image")).toString().trimmed().isEmpty()) {
            invalid("FieldValueRequired", field + ".image", "Required value");
        }
    }
    const QString restartPolicy = spec.value(QLatin1String("restartPolicy")).toString(QStringLiteral("Always"));
    if (restartPolicy != QLatin1String("Always") && restartPolicy != QLatin1String("OnFailure") &&
        restartPolicy != QLatin1String("Never")) {
        invalid("FieldValueNotSupported", "spec.restartPolicy",
            "Unsupported value: \"" + restartPolicy.toUtf8() +
                "\": supported values: \"Always\", \"OnFailure\", \"Never\"");
    }
    if (!causes.empty()) {
        sendStatus(connection, 422, "Invalid",
            "Pod \"" + pod->name +
                "\" is invalid: " + (messages.size() == 1 ? messages.front() : '[' + messages.join(", ") + ']'),
            pod->name, "Pod", causes);
        return;
    }

    const QByteArray level = m_refusals.podSecurityLevel(target.ns);
    const QByteArray violations = Refusals::podSecurityViolations(spec, level);
    if (!violations.isEmpty()) {
        sendStatus(connection, 403, "Forbidden",
            "pods \"" + pod->name + "\" is forbidden: violates PodSecurity \"" + level + ":latest\": " + violations,
            pod->name, "pods");
        return;
    }
    const int quota = m_refusals.podQuota(target.ns);
    if (quota >= 0) {
        const SimStore::ObjectMap &pods = m_store->objects(Kind::Pod);
        const QByteArray prefix = target.ns + '/';
        int used = 0;
        for (auto it = pods.lower_bound(prefix); it != pods.end() && it->first.startsWith(prefix); ++it) {
            ++used;
        }
        if (used + 1 > quota) {
            sendStatus(connection, 403, "Forbidden",
                "pods \"" + pod->name +
                    "\" is forbidden: exceeded quota: kube-sim-quota, requested: pods=1, used: pods=" +
                    QByteArray::number(used) + ", limited: pods=" + QByteArray::number(quota),
                pod->name, "pods");
            return;
        }
    }
    if (m_store->find(Kind::Pod, target.ns, pod->name)) {
        sendStatus(connection, 409, "AlreadyExists", "pods \"" + pod->name + "\" already exists", pod->name, "pods");
        return;
    }

    // Defaults the real API server fills in.
    if (!spec.contains(QLatin1String("restartPolicy"))) {
        spec.insert(QStringLiteral("restartPolicy"), QStringLiteral("Always"));
    }
    if (!spec.contains(QLatin1String("terminationGracePeriodSeconds"))) {
        spec.insert(QStringLiteral("terminationGracePeriodSeconds"), 30);
    }
    if (!spec.contains(QLatin1String("dnsPolicy"))) {
        spec.insert(QStringLiteral("dnsPolicy"), QStringLiteral("ClusterFirst"));
    }
    if (!spec.contains(QLatin1String("serviceAccountName"))) {
        spec.insert(QStringLiteral("serviceAccountName"), QStringLiteral("default"));
        spec.insert(QStringLiteral("serviceAccount"), QStringLiteral("default"));
    }
    if (!spec.contains(QLatin1String("schedulerName"))) {
        spec.insert(QStringLiteral("schedulerName"), QStringLiteral("default-scheduler"));
    }
    if (!spec.contains(QLatin1String("securityContext"))) {
        spec.insert(QStringLiteral("securityContext"), QJsonObject());
    }
    QJsonArray defaulted;
    for (const QJsonValue &value : containers) {
        QJsonObject c = value.toObject();
        if (!c.contains(QLatin1String("imagePullPolicy"))) {
            const bool latest = !c.value(QLatin1String("image")).toString().contains(QLatin1Char(':')) ||
                c.value(QLatin1String("image")).toString().endsWith(QLatin1String(":latest"));
            c.insert(
                QStringLiteral("imagePullPolicy"), latest ? QStringLiteral("Always") : QStringLiteral("IfNotPresent"));
        }
        if (!c.contains(QLatin1String("terminationMessagePath"))) {
            c.insert(QStringLiteral("terminationMessagePath"), QStringLiteral("/dev/termination-log"));
            c.insert(QStringLiteral("terminationMessagePolicy"), QStringLiteral("File"));
        }
        if (!c.contains(QLatin1String("resources"))) {
            c.insert(QStringLiteral("resources"), QJsonObject());
        }
        ContainerInfo info;
        info.name = c.value(QLatin1String("name")).toString().toUtf8();
        info.image = c.value(QLatin1String("image")).toString().toUtf8();
        info.reason = "ContainerCreating";
        pod->containers.push_back(info);
        defaulted.append(c);
    }
    spec.insert(QStringLiteral("containers"), defaulted);
    pod->spec = spec;
    pod->nodeName = spec.value(QLatin1String("nodeName")).toString().toUtf8();
    pod->restartPolicy = spec.value(QLatin1String("restartPolicy")).toString().toUtf8();
    pod->serviceAccount = spec.value(QLatin1String("serviceAccountName")).toString().toUtf8();
    pod->terminationGraceSeconds = spec.value(QLatin1String("terminationGracePeriodSeconds")).toInt(30);
    pod->uid = SimStore::newUid();
    pod->creationMs = SimStore::nowMs() / 1000 * 1000;

    if (request.param("dryRun") == "All") {
        sendObject(connection, 201, *pod);
        return;
    }
    const ObjectPtr stored = m_store->put(pod);
    sendObject(connection, 201, *stored);
    m_kubelet->podCreated(asPod(*stored));
}

void ApiServer::createNamespace(HttpConnection *connection, const HttpRequest &request)
{
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QJsonObject metadata = body.value(QLatin1String("metadata")).toObject();
    auto ns = std::make_shared<SimNamespace>();
    ns->name = metadata.value(QLatin1String("name")).toString().toUtf8();
    ns->generateName = metadata.value(QLatin1String("generateName")).toString().toUtf8();
    if (ns->name.isEmpty() && !ns->generateName.isEmpty()) {
        ns->name = ns->generateName + randomSuffix();
    }
    if (ns->name.isEmpty() || !isDnsLabel(ns->name)) {
        const QByteArray detail = ns->name.isEmpty() ? QByteArray("Required value: name or generateName is required")
                                                     : "Invalid value: \"" + ns->name + "\": " + labelMessage;
        sendStatus(connection, 422, "Invalid", "Namespace \"" + ns->name + "\" is invalid: metadata.name: " + detail,
            ns->name, "Namespace",
            {{ns->name.isEmpty() ? QByteArray("FieldValueRequired") : QByteArray("FieldValueInvalid"), detail,
                "metadata.name"}});
        return;
    }
    if (m_store->find(Kind::Namespace, {}, ns->name)) {
        sendStatus(
            connection, 409, "AlreadyExists", "namespaces \"" + ns->name + "\" already exists", ns->name, "namespaces");
        return;
    }
    ns->labels = pairsFrom(metadata.value(QLatin1String("labels")).toObject());
    ns->labels.emplace_back("kubernetes.io/metadata.name", ns->name);
    ns->annotations = pairsFrom(metadata.value(QLatin1String("annotations")).toObject());
    ns->uid = SimStore::newUid();
    ns->creationMs = SimStore::nowMs() / 1000 * 1000;
    if (request.param("dryRun") == "All") {
        sendObject(connection, 201, *ns);
        return;
    }
    sendObject(connection, 201, *m_store->put(ns));
}

void ApiServer::deletePod(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const ObjectPtr current = m_store->find(Kind::Pod, target.ns, target.name);
    if (!current) {
        sendStatus(connection, 404, "NotFound", "pods \"" + target.name + "\" not found", target.name, "pods");
        return;
    }
    const SimPod &pod = asPod(*current);
    qint64 grace = pod.terminationGraceSeconds;
    const QJsonObject options = QJsonDocument::fromJson(request.body).object();
    if (options.contains(QLatin1String("gracePeriodSeconds"))) {
        grace = options.value(QLatin1String("gracePeriodSeconds")).toInteger();
    }
    if (request.hasParam("gracePeriodSeconds")) {
        grace = request.param("gracePeriodSeconds").toLongLong();
    }
    const QJsonArray dryRun = options.value(QLatin1String("dryRun")).toArray();
    if (request.param("dryRun") == "All" || dryRun.contains(QStringLiteral("All"))) {
        sendObject(connection, 200, pod);
        return;
    }
    if (pod.deletionMs != 0 && (grace > 0 || pod.deletionGraceSeconds == 0)) {
        sendObject(connection, 200, pod);
        return;
    }
    if (grace <= 0 || pod.nodeName.isEmpty() || !pod.scheduled) {
        const ObjectPtr last = m_store->remove(Kind::Pod, target.ns, target.name);
        sendObject(connection, 200, *last);
        return;
    }
    auto marked = std::static_pointer_cast<SimPod>(cloneObject(pod));
    marked->deletionMs = SimStore::nowMs() / 1000 * 1000 + grace * 1000;
    marked->deletionGraceSeconds = grace;
    const ObjectPtr stored = m_store->put(marked);
    sendObject(connection, 200, *stored);
    m_kubelet->podDeleting(asPod(*stored), grace);
}

void ApiServer::deleteNamespace(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const ObjectPtr current = m_store->find(Kind::Namespace, {}, target.name);
    if (!current) {
        sendStatus(
            connection, 404, "NotFound", "namespaces \"" + target.name + "\" not found", target.name, "namespaces");
        return;
    }
    if (request.param("dryRun") == "All" || current->deletionMs != 0) {
        sendObject(connection, 200, *current);
        return;
    }
    auto marked = cloneObject(*current);
    marked->deletionMs = SimStore::nowMs() / 1000 * 1000;
    const ObjectPtr stored = m_store->put(marked);
    sendObject(connection, 200, *stored);
    // The namespace controller: remove the pods, then the namespace.
    const QByteArray name = target.name;
    QTimer::singleShot(50, this, [this, name] {
        const QByteArray prefix = name + '/';
        QByteArrayList names;
        const SimStore::ObjectMap &pods = m_store->objects(Kind::Pod);
        for (auto it = pods.lower_bound(prefix); it != pods.end() && it->first.startsWith(prefix); ++it) {
            names.append(it->second->name);
        }
        for (const QByteArray &pod : names) {
            m_store->remove(Kind::Pod, name, pod);
        }
        m_store->remove(Kind::Namespace, {}, name);
    });
}

void ApiServer::patch(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const QByteArray ns = isNamespaced(target.kind) ? target.ns : QByteArray();
    const ObjectPtr current = m_store->find(target.kind, ns, target.name);
    if (!current) {
        sendStatus(connection, 404, "NotFound",
            resourceName(target.kind) + QByteArray(" \"") + target.name + "\" not found", target.name,
            resourceName(target.kind));
        return;
    }
    const QByteArray contentType = request.header("content-type").split(';').first().trimmed();
    JsonWriter json(4096);
    ObjectWriter::writeObject(json, *current, true);
    QJsonValue document = QJsonDocument::fromJson(json.data()).object();
    QJsonParseError parseError;
    const QJsonDocument patchDoc = QJsonDocument::fromJson(request.body, &parseError);
    if (patchDoc.isNull()) {
        sendStatus(connection, 400, "BadRequest", "error decoding patch: " + parseError.errorString().toUtf8());
        return;
    }
    if (contentType == "application/merge-patch+json" || contentType == "application/strategic-merge-patch+json") {
        if (!patchDoc.isObject()) {
            sendStatus(connection, 400, "BadRequest", "error decoding patch: the patch is not a JSON object");
            return;
        }
        document = mergePatch(document, patchDoc.object(), contentType.startsWith("application/strategic"));
    } else if (contentType == "application/json-patch+json") {
        for (const QJsonValue &opValue : patchDoc.array()) {
            const QJsonObject op = opValue.toObject();
            const QString name = op.value(QLatin1String("op")).toString();
            QStringList path = op.value(QLatin1String("path")).toString().split(QLatin1Char('/'));
            if (path.isEmpty() || !path.first().isEmpty()) {
                sendStatus(
                    connection, 422, "Invalid", "the server rejected our request due to an error in our request");
                return;
            }
            path.removeFirst();
            for (QString &part : path) {
                part.replace(QLatin1String("~1"), QLatin1String("/")).replace(QLatin1String("~0"), QLatin1String("~"));
            }
            QByteArray error;
            if (!jsonPatchApply(document, path, name, op.value(QLatin1String("value")), &error)) {
                sendStatus(connection, 422, "Invalid", name == QLatin1String("test") ? "testing value failed" : error);
                return;
            }
        }
    } else {
        sendStatus(connection, 415, "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: "
            "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json");
        return;
    }
    const QJsonObject result = document.toObject();
    const QJsonObject metadata = result.value(QLatin1String("metadata")).toObject();
    for (const char *field : {"labels", "annotations"}) {
        const QJsonObject map = metadata.value(QLatin1String(field)).toObject();
        for (auto it = map.begin(); it != map.end(); ++it) {
            if (!it.value().isString()) {
                sendStatus(connection, 400, "BadRequest",
                    "json: cannot unmarshal " + QByteArray(it.value().isDouble() ? "number" : "object") +
                        " into Go struct field ObjectMeta.metadata." + field + " of type string");
                return;
            }
        }
    }
    auto changed = cloneObject(*current);
    changed->labels = pairsFrom(metadata.value(QLatin1String("labels")).toObject());
    changed->annotations = pairsFrom(metadata.value(QLatin1String("annotations")).toObject());
    if (target.kind == Kind::Pod) {
        auto &pod = static_cast<SimPod &>(*changed);
        const QJsonObject oldSpec =
            QJsonDocument::fromJson(json.data()).object().value(QLatin1String("spec")).toObject();
        const QJsonObject newSpec = result.value(QLatin1String("spec")).toObject();
        if (newSpec != oldSpec) {
            pod.spec = newSpec;
            const QJsonArray containers = newSpec.value(QLatin1String("containers")).toArray();
            for (std::size_t i = 0; i < pod.containers.size() && i < std::size_t(containers.size()); ++i) {
                pod.containers[i].image =
                    containers.at(qsizetype(i)).toObject().value(QLatin1String("image")).toString().toUtf8();
            }
        }
    }
    if (request.param("dryRun") == "All") {
        sendObject(connection, 200, *changed);
        return;
    }
    sendObject(connection, 200, *m_store->put(changed));
}

void ApiServer::podLog(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const ObjectPtr current = m_store->find(Kind::Pod, target.ns, target.name);
    if (!current) {
        sendStatus(connection, 404, "NotFound", "pods \"" + target.name + "\" not found", target.name, "pods");
        return;
    }
    const SimPod &pod = asPod(*current);
    QByteArray container = request.param("container");
    if (container.isEmpty()) {
        if (pod.containers.size() > 1) {
            QByteArrayList names;
            for (const ContainerInfo &c : pod.containers) {
                names.append(c.name);
            }
            sendStatus(connection, 400, "BadRequest",
                "a container name must be specified for pod " + pod.name + ", choose one of: [" + names.join(' ') +
                    ']');
            return;
        }
        container = pod.containers.empty() ? QByteArray() : pod.containers.front().name;
    }
    const ContainerInfo *info = nullptr;
    for (const ContainerInfo &c : pod.containers) {
        if (c.name == container) {
            info = &c;
        }
    }
    if (!info) {
        sendStatus(connection, 400, "BadRequest", "container " + container + " is not valid for pod " + pod.name);
        return;
    }
    if (info->state == ContainerInfo::State::Waiting && info->containerID.isEmpty()) {
        QByteArray why = info->reason.isEmpty() ? QByteArray("ContainerCreating") : info->reason;
        if (why == "ErrImagePull" || why == "ImagePullBackOff") {
            why = "trying and failing to pull image";
        }
        sendStatus(connection, 400, "BadRequest",
            "container \"" + container + "\" in pod \"" + pod.name + "\" is waiting to start: " + why);
        return;
    }
    QByteArrayList lines = m_store->logLines(target.ns, target.name);
    if (request.hasParam("tailLines")) {
        const qsizetype tail = request.param("tailLines").toLongLong();
        if (tail >= 0 && tail < lines.size()) {
            lines = lines.mid(lines.size() - tail);
        }
    }
    const bool timestamps = request.param("timestamps").toLower() == "true";
    const QByteArray stamp = ObjectWriter::timestamp(pod.startMs ? pod.startMs : pod.creationMs);
    QByteArray text;
    for (const QByteArray &line : lines) {
        text += (timestamps ? stamp + ' ' : QByteArray()) + line + '\n';
    }
    if (request.param("follow").toLower() != "true") {
        connection->respond(200, "text/plain", text);
        return;
    }
    connection->beginStream(200, "text/plain");
    connection->writeChunk(text);
    new LogFollower(connection, m_store, current->key(), timestamps, this);
}

void ApiServer::podExec(HttpConnection *connection, const HttpRequest &request, const Target &target)
{
    const bool get = request.method == "GET";
    if (!get && request.method != "POST") {
        sendStatus(
            connection, 405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
        return;
    }
    // A connect request is authorized with the verb of its method (GET: get, POST: create); a
    // WebSocket upgrade by GET also needs create, as API servers that close the get-only hole do.
    if ((get && !checkAccess(connection, request, "get", "pods/exec", target.ns, target.name)) ||
        !checkAccess(connection, request, "create", "pods/exec", target.ns, target.name)) {
        return;
    }
    const ObjectPtr current = m_store->find(Kind::Pod, target.ns, target.name);
    if (!current) {
        sendStatus(connection, 404, "NotFound", "pods \"" + target.name + "\" not found", target.name, "pods");
        return;
    }
    const SimPod &pod = asPod(*current);
    QByteArray container = request.param("container");
    if (container.isEmpty()) {
        if (pod.containers.size() != 1) {
            QByteArrayList names;
            for (const ContainerInfo &c : pod.containers) {
                names.append(c.name);
            }
            sendStatus(connection, 400, "BadRequest",
                "a container name must be specified for pod " + pod.name +
                    (names.isEmpty() ? QByteArray() : ", choose one of: [" + names.join(' ') + ']'));
            return;
        }
        container = pod.containers.front().name;
    }
    const ContainerInfo *info = nullptr;
    for (const ContainerInfo &c : pod.containers) {
        if (c.name == container) {
            info = &c;
        }
    }
    if (!info) {
        sendStatus(connection, 400, "BadRequest", "container " + container + " is not valid for pod " + pod.name);
        return;
    }
    if (pod.nodeName.isEmpty() || !pod.scheduled) {
        sendStatus(connection, 400, "BadRequest", "pod " + pod.name + " does not have a host assigned");
        return;
    }
    QByteArrayList command;
    for (const QString &item : request.query.allQueryItemValues(QStringLiteral("command"), QUrl::FullyDecoded)) {
        command.append(item.toUtf8());
    }
    const auto flag = [&request](const char *name) {
        const QByteArray value = request.param(name).toLower();
        return value == "true" || value == "1";
    };
    ExecSession::Options options;
    options.stdinOpen = flag("stdin");
    options.stdoutOpen = flag("stdout");
    options.stderrOpen = flag("stderr");
    options.command = command;
    if (command.isEmpty()) {
        sendStatus(connection, 400, "BadRequest", "you must specify at least 1 command");
        return;
    }
    if (!options.stdinOpen && !options.stdoutOpen && !options.stderrOpen) {
        sendStatus(connection, 400, "BadRequest", "you must specify at least one of stdin, stdout, stderr");
        return;
    }
    if (flag("tty")) {
        sendStatus(connection, 400, "BadRequest",
            "kube-sim: pods/exec with tty=true is not simulated (no terminal); drop -t / tty=true");
        return;
    }

    // The upgrade: only a WebSocket one, as the sim does not speak SPDY.
    const QByteArray upgradeHeader = request.header("upgrade").toLower();
    if (!request.header("connection").toLower().contains("upgrade") || upgradeHeader.isEmpty()) {
        sendStatus(connection, 400, "BadRequest", "Upgrade request required");
        return;
    }
    if (!upgradeHeader.contains("websocket")) {
        sendStatus(connection, 400, "BadRequest",
            "kube-sim: pods/exec is served over WebSocket (v5.channel.k8s.io, v4.channel.k8s.io) only, not " +
                request.header("upgrade"));
        return;
    }
    // The WebSocket handshake's own failures are bare HTTP answers, as the Go websocket server gives.
    if (!get) {
        connection->respondRawAndClose("HTTP/1.1 405 Method Not Allowed\r\n\r\nbad method");
        return;
    }
    if (request.header("sec-websocket-version").trimmed() != "13") {
        connection->respondRawAndClose(
            "HTTP/1.1 400 Bad Request\r\nSec-WebSocket-Version: 13\r\n\r\nmissing or bad WebSocket Version");
        return;
    }
    const QByteArray key = request.header("sec-websocket-key").trimmed();
    if (QByteArray::fromBase64(key).size() != 16) {
        connection->respondRawAndClose("HTTP/1.1 400 Bad Request\r\n\r\nmismatch challenge/response");
        return;
    }
    // A client offering v5 reaches the API server's own WebSocket server (v5 only); any other goes
    // through to the kubelet's, which takes the first protocol it knows in the client's order.
    QByteArrayList offered;
    for (const QByteArray &line : request.header("sec-websocket-protocol").split('\n')) {
        for (const QByteArray &item : line.split(',')) {
            if (!item.trimmed().isEmpty()) {
                offered.append(item.trimmed());
            }
        }
    }
    QByteArray protocol;
    if (offered.contains("v5.channel.k8s.io")) {
        protocol = "v5.channel.k8s.io";
    } else if (offered.contains("v4.channel.k8s.io")) {
        protocol = "v4.channel.k8s.io";
    } else {
        // The Go websocket server refuses an unsupported subprotocol with a bare 403.
        connection->respondRawAndClose("HTTP/1.1 403 Forbidden\r\n\r\n");
        return;
    }
    const bool v5 = protocol == "v5.channel.k8s.io";
    if (info->state != ContainerInfo::State::Running) {
        // The kubelet finds no running container. Through v5 the API server has already accepted
        // the WebSocket and reports the failed upgrade to the kubelet on the error channel; v4 is
        // proxied to the kubelet, whose answer (a plain 500) the client gets as the handshake's.
        const QByteArray why = "container not found (\"" + container + "\")";
        if (!v5) {
            connection->respondRawAndClose("HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n"
                                           "Content-Length: " +
                QByteArray::number(why.size()) + "\r\n\r\n" + why);
            return;
        }
        connection->upgrade({"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + ws::acceptKey(key),
            "Sec-WebSocket-Protocol: " + protocol});
        ExecSession::failBeforeStart(
            connection, ExecSession::internalErrorStatus("unable to upgrade connection: " + why));
        return;
    }
    ExecCommand *execCommand = m_kubelet->startExec(pod, container, command);
    connection->upgrade({"Upgrade: websocket", "Connection: Upgrade", "Sec-WebSocket-Accept: " + ws::acceptKey(key),
        "Sec-WebSocket-Protocol: " + protocol});
    options.protocol = protocol;
    ++(v5 ? m_stats.execsV5 : m_stats.execsV4);
    ++m_stats.execsRunning;
    auto *session = new ExecSession(connection, options, execCommand, this);
    if (m_options.faults.stallExecs) {
        session->stall(); // after the upgrade and the opening message
    }
    connect(session, &ExecSession::commandFinished, this, [this] { --m_stats.execsRunning; });
    connect(session, &ExecSession::outputPaused, this, [this] { ++m_stats.execOutputPauses; });
}

void ApiServer::accessReview(HttpConnection *connection, const HttpRequest &request)
{
    const QJsonObject body = QJsonDocument::fromJson(request.body).object();
    const QJsonObject spec = body.value(QLatin1String("spec")).toObject();
    const QJsonObject attributes = spec.value(QLatin1String("resourceAttributes")).toObject();
    bool allowed = true;
    if (!attributes.isEmpty()) {
        QByteArray resource = attributes.value(QLatin1String("resource")).toString().toUtf8();
        const QByteArray sub = attributes.value(QLatin1String("subresource")).toString().toUtf8();
        if (!sub.isEmpty()) {
            resource += '/' + sub;
        }
        allowed = !m_refusals.isForbidden(attributes.value(QLatin1String("verb")).toString().toUtf8(), resource,
            attributes.value(QLatin1String("namespace")).toString().toUtf8(), request.user);
    }
    JsonWriter json(1024);
    json.beginObject().field("kind", "SelfSubjectAccessReview").field("apiVersion", "authorization.k8s.io/v1");
    json.key("metadata").beginObject().key("creationTimestamp").null().endObject();
    json.key("spec").value(spec);
    json.key("status").beginObject().field("allowed", allowed).endObject();
    json.endObject();
    connection->respond(201, jsonType, json.data());
}

void ApiServer::admin(HttpConnection *connection, const HttpRequest &request)
{
    if (request.path == "/sim/refusals") {
        if (request.method == "POST" || request.method == "PUT") {
            QByteArray error;
            const QJsonDocument document = QJsonDocument::fromJson(request.body);
            if (!document.isObject() || !m_refusals.fromJson(document.object(), &error)) {
                sendStatus(connection, 400, "BadRequest",
                    "kube-sim refusals: " + (error.isEmpty() ? QByteArray("the body is not a JSON object") : error) +
                        "; send "
                        "{\"forbid\":[\"create:pods:NS\"],\"podSecurity\":{\"NS\":\"restricted\"},\"quota\":{\"NS\":3}"
                        "}");
                return;
            }
        }
        connection->respond(200, jsonType, QJsonDocument(m_refusals.toJson()).toJson(QJsonDocument::Compact));
        return;
    }
    if (request.path == "/sim/faults") {
        faults(connection, request);
        return;
    }
    if (request.path == "/sim/stats" && request.method == "GET") {
        JsonWriter json(128);
        json.beginObject()
            .field("requests", qint64(m_stats.requests))
            .field("lists", qint64(m_stats.lists))
            .field("watches", qint64(m_stats.watches))
            .field("execsV5", qint64(m_stats.execsV5))
            .field("execsV4", qint64(m_stats.execsV4))
            .field("execsRunning", m_stats.execsRunning)
            .field("execOutputPauses", qint64(m_stats.execOutputPauses))
            .endObject();
        connection->respond(200, jsonType, json.data());
        return;
    }
    if (request.path == "/sim/bookmark" && request.method == "POST") {
        Q_EMIT bookmarkRequested();
        connection->respond(200, jsonType, "{}");
        return;
    }
    if (request.path == "/sim/logs" && request.method == "POST") {
        const QJsonObject body = QJsonDocument::fromJson(request.body).object();
        const QByteArray ns = body.value(QLatin1String("namespace")).toString().toUtf8();
        const QByteArray name = body.value(QLatin1String("name")).toString().toUtf8();
        if (!m_store->find(Kind::Pod, ns, name)) {
            sendStatus(connection, 404, "NotFound", "pods \"" + name + "\" not found", name, "pods");
            return;
        }
        m_store->appendLog(ns, name, body.value(QLatin1String("line")).toString().toUtf8());
        connection->respond(200, jsonType, "{}");
        return;
    }
    sendStatus(connection, 404, "NotFound", "the server could not find the requested resource");
}

void ApiServer::faults(HttpConnection *connection, const HttpRequest &request)
{
    Faults &faults = m_options.faults;
    if (request.method == "POST" || request.method == "PUT") {
        const QJsonDocument document = QJsonDocument::fromJson(request.body);
        const QJsonObject body = document.object();
        static const QStringList keys = {QStringLiteral("closeWatchAfterMs"), QStringLiteral("watchErrorCode"),
            QStringLiteral("watchStatusCode"), QStringLiteral("failStatusCode")};
        for (auto it = body.begin(); it != body.end(); ++it) {
            if ((it.key() == QLatin1String("stallWatches") || it.key() == QLatin1String("stallExecs")) &&
                it.value().isBool()) {
                continue;
            }
            if (!keys.contains(it.key()) || !it.value().isDouble()) {
                sendStatus(connection, 400, "BadRequest",
                    "kube-sim faults: unknown key or non-number value \"" + it.key().toUtf8() +
                        "\"; send {\"closeWatchAfterMs\":-1,\"watchErrorCode\":0,\"watchStatusCode\":0,"
                        "\"failStatusCode\":0,\"stallWatches\":false,\"stallExecs\":false} (any subset; -1, 0 and "
                        "false switch a fault off)");
                return;
            }
        }
        if (!document.isObject()) {
            sendStatus(connection, 400, "BadRequest", "kube-sim faults: the body is not a JSON object");
            return;
        }
        faults.closeWatchAfterMs = body.value(QLatin1String("closeWatchAfterMs")).toInt(faults.closeWatchAfterMs);
        faults.watchErrorCode = body.value(QLatin1String("watchErrorCode")).toInt(faults.watchErrorCode);
        faults.watchStatusCode = body.value(QLatin1String("watchStatusCode")).toInt(faults.watchStatusCode);
        faults.failStatusCode = body.value(QLatin1String("failStatusCode")).toInt(faults.failStatusCode);
        faults.stallWatches = body.value(QLatin1String("stallWatches")).toBool(faults.stallWatches);
        faults.stallExecs = body.value(QLatin1String("stallExecs")).toBool(faults.stallExecs);
        if (faults.stallExecs) {
            // The path to every open exec dies now; a stalled session stays so when the fault goes off.
            for (ExecSession *session : findChildren<ExecSession *>(Qt::FindDirectChildrenOnly)) {
                session->stall();
            }
        }
        // Open watches end now, so their clients reconnect into the new behaviour.
        Q_EMIT endWatchesRequested();
    }
    JsonWriter json(256);
    json.beginObject()
        .field("closeWatchAfterMs", faults.closeWatchAfterMs)
        .field("watchErrorCode", faults.watchErrorCode)
        .field("watchStatusCode", faults.watchStatusCode)
        .field("failStatusCode", faults.failStatusCode)
        .field("stallWatches", faults.stallWatches)
        .field("stallExecs", faults.stallExecs)
        .endObject();
    connection->respond(200, jsonType, json.data());
}

} // namespace podtap::sim
