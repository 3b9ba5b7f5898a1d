import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.PathNotFoundException;
import java.io.StringWriter;
import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import net.minidev.json.JSONStyle;
import net.minidev.json.JSONValue;
import org.apache.commons.lang.StringEscapeUtils;
import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.event.EventCartridge;
import org.apache.velocity.app.event.ReferenceInsertionEventHandler;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.runtime.RuntimeConstants;
import org.apache.velocity.runtime.log.NullLogChute;

/**
 * Renders API Gateway REST mapping templates with Apache Velocity 1.7, the engine API Gateway's mapping templates are
 * built on, so that the emulator's renderer (emulator/vtl.py, airspeed) can be judged against it.
 *
 * <p>One JVM renders a whole batch. Standard input is one JSON document:
 *
 * <pre>
 * {"templates": ["...", ...],
 *  "cases": [{"id": "...", "template": 0, "body": "...",
 *             "params": {"path": {}, "querystring": {}, "header": {}},
 *             "context": {"requestId": "...", ...}, "stageVariables": {}}, ...]}
 * </pre>
 *
 * Standard output is a JSON array with one result per case, in order: {"id", "text", "status", "headers", "error"}:
 * the rendered text, $context.responseOverride.status as Velocity would print it (null when not set), the
 * $context.responseOverride.header map, or the error Velocity threw (text, status and headers are then null).
 *
 * <p>The objects a template sees follow the API Gateway developer guide, "Variables for data transformations for API
 * Gateway" (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html;
 * the same text in github.com/awsdocs/amazon-api-gateway-developer-guide,
 * doc_source/api-gateway-mapping-template-reference.md). Where the guide is silent, what API Gateway was observed to
 * do is cited at the place it is used.
 */
public final class VtlReference {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Jayway JsonPath with its default provider, json-smart, as the guide's "JSONPath for Java" link
   * (github.com/jayway/JsonPath) suggests. It reads objects as LinkedHashMap (printed {a=1}) and arrays as JSONArray
   * (printed as JSON, [{"a":1}]): exactly what API Gateway was observed to print for $input.path results, e.g.
   * {foo=[{"nested":"bar"}]} (LocalStack's AWS-validated snapshot test_input_path_template_formatting,
   * github.com/localstack/localstack/pull/12379).
   */
  private static final Configuration JSONPATH = Configuration.defaultConfiguration();

  /**
   * The one way API Gateway was recorded departing from Velocity 1.7's defaults: a null or undefined reference renders
   * as nothing, quiet ($!) or not, where Velocity prints its source text. API Gateway printed nothing for $result set
   * from a JSONPath that selects nothing and for $result.nested (LocalStack's AWS-validated snapshot
   * test_input_path_template_formatting) and for $input.params without parentheses
   * (github.com/ToQoz/api-gateway-mapping-template's recordings); the cases are in tests/recorded/apigateway. (API Gateway also compared such a null equal to "", which Velocity has no hook
   * for: no case here compares a null with a string.)
   */
  private static final EventCartridge NULL_RENDERS_AS_NOTHING = new EventCartridge();

  static {
    NULL_RENDERS_AS_NOTHING.addEventHandler(
        (ReferenceInsertionEventHandler) (reference, value) -> value == null ? "" : value);
  }

  private VtlReference() {}

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--self-test")) {
      selfTest();
      return;
    }
    JsonNode batch = JSON.readTree(System.in);
    List<String> templates = new ArrayList<>();
    for (JsonNode template : batch.get("templates")) {
      templates.add(template.asText());
    }
    VelocityEngine engine = engine();
    ArrayNode results = JSON.createArrayNode();
    for (JsonNode item : batch.get("cases")) {
      results.add(render(engine, templates.get(item.get("template").asInt()), item));
    }
    JSON.writeValue(System.out, results);
  }

  /** Velocity 1.7 with its defaults; only its log is silenced (by default it writes velocity.log here). A null
   * renders as nothing through NULL_RENDERS_AS_NOTHING, attached to each case's context. */
  static VelocityEngine engine() {
    Properties properties = new Properties();
    properties.setProperty(RuntimeConstants.RUNTIME_LOG_LOGSYSTEM_CLASS, NullLogChute.class.getName());
    VelocityEngine engine = new VelocityEngine();
    engine.init(properties);
    return engine;
  }

  static ObjectNode render(VelocityEngine engine, String template, JsonNode item) {
    ObjectNode result = JSON.createObjectNode();
    result.put("id", item.get("id").asText());
    Map<String, Object> context = asMap(item.get("context"));
    // #set($context.responseOverride.status = ...) and .header.<name> write into these maps; requestOverride is
    // there so a template that sets it renders (API Gateway applies it; nothing here reads it back).
    Map<String, Object> responseOverride = new LinkedHashMap<>();
    responseOverride.put("header", new LinkedHashMap<String, Object>());
    context.put("responseOverride", responseOverride);
    Map<String, Object> requestOverride = new LinkedHashMap<>();
    for (String kind : new String[] {"header", "path", "querystring"}) {
      requestOverride.put(kind, new LinkedHashMap<String, Object>());
    }
    context.put("requestOverride", requestOverride);

    VelocityContext velocity = new VelocityContext();
    velocity.put("input", new Input(item.get("body").asText(), item.get("params")));
    velocity.put("util", new Util());
    velocity.put("context", context);
    velocity.put("stageVariables", asMap(item.get("stageVariables")));
    NULL_RENDERS_AS_NOTHING.attachToContext(velocity);
    StringWriter out = new StringWriter();
    try {
      engine.evaluate(velocity, out, item.get("id").asText(), template);
    } catch (Exception | StackOverflowError failure) {
      result.putNull("text");
      result.putNull("status");
      result.putNull("headers");
      result.put("error", failure.getClass().getName() + ": " + failure.getMessage());
      return result;
    }
    result.put("text", out.toString());
    Object override = context.get("responseOverride");
    Object status = override instanceof Map ? ((Map<?, ?>) override).get("status") : null;
    if (status == null) {
      result.putNull("status");
    } else {
      result.put("status", String.valueOf(status));
    }
    ObjectNode headers = result.putObject("headers");
    Object headerMap = override instanceof Map ? ((Map<?, ?>) override).get("header") : null;
    if (headerMap instanceof Map) {
      for (Map.Entry<?, ?> header : ((Map<?, ?>) headerMap).entrySet()) {
        if (header.getValue() != null) {
          headers.put(String.valueOf(header.getKey()), String.valueOf(header.getValue()));
        }
      }
    }
    if (!(override instanceof Map) || !(headerMap instanceof Map)) {
      result.put("error", "$context.responseOverride was replaced instead of set field by field");
    } else {
      result.putNull("error");
    }
    return result;
  }

  /** JSON from the batch as the plain Java values a Velocity template would be handed (maps, lists, strings). */
  static Map<String, Object> asMap(JsonNode node) {
    Map<String, Object> map = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return map;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      map.put(field.getKey(), asValue(field.getValue()));
    }
    return map;
  }

  static Object asValue(JsonNode node) {
    if (node.isObject()) {
      return asMap(node);
    }
    if (node.isArray()) {
      List<Object> list = new ArrayList<>();
      for (JsonNode element : node) {
        list.add(asValue(element));
      }
      return list;
    }
    if (node.isNull()) {
      return null;
    }
    if (node.isBoolean()) {
      return node.booleanValue();
    }
    if (node.isIntegralNumber()) {
      return node.canConvertToInt() ? (Object) node.intValue() : (Object) node.longValue();
    }
    if (node.isNumber()) {
      return node.doubleValue();
    }
    return node.asText();
  }

  static Map<String, String> asStrings(JsonNode node) {
    Map<String, String> map = new LinkedHashMap<>();
    if (node == null || node.isNull()) {
      return map;
    }
    Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> field = fields.next();
      map.put(field.getKey(), field.getValue().asText());
    }
    return map;
  }

  /** $input: the payload being mapped (the client's body, or the integration's in a response) and the parameters. */
  public static final class Input {
    private final String body;
    private final Map<String, Map<String, String>> params = new LinkedHashMap<>();
    private DocumentContext document;

    Input(String body, JsonNode params) {
      this.body = body;
      for (String kind : new String[] {"path", "querystring", "header"}) {
        this.params.put(kind, asStrings(params == null ? null : params.get(kind)));
      }
    }

    /**
     * $input.body: "Returns the raw request payload as a string" (the guide). An empty payload reads as {}: API
     * Gateway was observed to render $input.body of a request without a body as {} whatever the content type
     * (LocalStack's AWS-validated test_input_body_formatting, github.com/localstack/localstack/pull/12413).
     */
    public String getBody() {
      return body.isEmpty() ? "{}" : body;
    }

    private DocumentContext document() {
      if (document == null) {
        document = JsonPath.using(JSONPATH).parse(getBody());
      }
      return document;
    }

    /**
     * $input.path(x): "Takes a JSONPath expression string (x) and returns a JSON object representation of the
     * result" (the guide): the Map, List, String, Number or Boolean Jayway reads. A path that selects nothing gives
     * null, as API Gateway was observed to do ($input.path("$.nonExisting") rendered as nothing and compared equal
     * to $null: LocalStack's AWS-validated snapshot, github.com/localstack/localstack/pull/12774).
     */
    public Object path(String path) {
      try {
        return document().read(path);
      } catch (PathNotFoundException missing) {
        return null;
      }
    }

    /**
     * $input.json(x): "evaluates a JSONPath expression and returns the results as a JSON string" (the guide),
     * written as Jayway's json-smart provider writes JSON (JSONStyle.LT_COMPRESS), strings and numbers included. A
     * path that selects nothing gives "" (the JSON of an empty string), as LocalStack found on AWS
     * (github.com/localstack/localstack/pull/12774).
     */
    public String json(String path) {
      Object value = path(path);
      return JSONValue.toJSONString(value == null ? "" : value, JSONStyle.LT_COMPRESS);
    }

    /** $input.params(): "Returns a map of all the request parameters" (path, querystring, header maps). */
    public Map<String, Map<String, String>> params() {
      return params;
    }

    /**
     * $input.params(x): "the value of a method request parameter from the path, query string, or header value
     * (searched in that order)" (the guide). HTTP header names are case-insensitive, so a header is found whatever
     * its case; an absent parameter is an empty string.
     */
    public String params(String name) {
      for (String kind : new String[] {"path", "querystring"}) {
        String value = params.get(kind).get(name);
        if (value != null) {
          return value;
        }
      }
      for (Map.Entry<String, String> header : params.get("header").entrySet()) {
        if (header.getKey().equalsIgnoreCase(name)) {
          return header.getValue();
        }
      }
      return "";
    }
  }

  /** $util, the functions of the guide's "$util variables" table. "Unless otherwise specified, the default
   * character set is UTF-8" (the guide). */
  public static final class Util {
    /**
     * "Escapes the characters in a string using JavaScript string rules. [...] This function will turn any regular
     * single quotes (') into escaped ones (\')" (the guide): Commons Lang 2.6's StringEscapeUtils.escapeJavaScript.
     */
    public String escapeJavaScript(String text) {
      return StringEscapeUtils.escapeJavaScript(text);
    }

    /**
     * "Takes "stringified" JSON and returns an object representation of the result. You can use the result from this
     * function to access and manipulate elements of the payload natively" (the guide): read by the same JSON provider
     * as $input.path, so its objects are the same kinds. Invalid JSON throws (the template then fails).
     */
    public Object parseJson(String text) {
      return JSONPATH.jsonProvider().parse(text);
    }

    /** "Encodes the data into a base64-encoded string" (the guide): the UTF-8 bytes of the text. */
    public String base64Encode(String text) {
      return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    /** "Decodes the data from a base64-encoded string" (the guide), read back as UTF-8 text. */
    public String base64Decode(String text) {
      return new String(Base64.getDecoder().decode(text), StandardCharsets.UTF_8);
    }

    /** "Converts a string into "application/x-www-form-urlencoded" format" (the guide): java.net.URLEncoder. */
    public String urlEncode(String text) throws UnsupportedEncodingException {
      return URLEncoder.encode(text, "UTF-8");
    }

    /** "Decodes an "application/x-www-form-urlencoded" string" (the guide): java.net.URLDecoder. */
    public String urlDecode(String text) throws UnsupportedEncodingException {
      return URLDecoder.decode(text, "UTF-8");
    }
  }

  /** What `make` runs after compiling: the classpath loads and the engine renders as the guide says. */
  static void selfTest() throws Exception {
    String template =
        "#set($o = $util.parseJson($input.body))#set($context.responseOverride.status = $o.n)"
            + "$util.escapeJavaScript(\"it's \u00e9\") $input.path('$.list') $input.path('$')";
    ObjectNode item = JSON.createObjectNode();
    item.put("id", "self-test");
    item.put("body", "{\"n\": 402, \"list\": [{\"a\": 1}]}");
    ObjectNode result = render(engine(), template, item);
    String expected = "it\\'s \\u00E9 [{\"a\":1}] {n=402, list=[{\"a\":1}]}";
    if (!expected.equals(result.path("text").asText()) || !"402".equals(result.path("status").asText())) {
      throw new IllegalStateException(String.format(Locale.ROOT, "self-test rendered %s", result));
    }
    System.out.println("VtlReference self-test passed: " + result.get("text").asText());
  }
}
