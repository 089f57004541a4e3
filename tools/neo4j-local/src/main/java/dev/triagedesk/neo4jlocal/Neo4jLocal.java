package dev.triagedesk.neo4jlocal;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

/**
 * Neo4j Community, embedded, serving Bolt on 127.0.0.1:PORT with its store in DATA_DIR.
 *
 * <p>Usage: {@code Neo4jLocal --port 7687 --data-dir var/neo4j [--password secret]
 * [--page-cache 64m]}. With a password, authentication is on and the {@code neo4j} user gets that
 * password (no change required); without one, authentication is off (loopback only). Prints
 * {@code NEO4J_READY bolt://127.0.0.1:PORT} on stdout once Bolt accepts connections, and shuts the
 * database down cleanly on SIGTERM/SIGINT.
 */
public final class Neo4jLocal {
  private Neo4jLocal() {}

  public static void main(String[] args) throws Exception {
    int port = 7687;
    Path dataDir = Path.of("neo4j-data");
    String password = null;
    long pageCache = ByteUnit.mebiBytes(64);
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--data-dir" -> dataDir = Path.of(args[++i]);
        case "--password" -> password = args[++i];
        case "--page-cache" -> pageCache = ByteUnit.parse(args[++i]);
        default -> {
          System.err.println("unknown argument: " + args[i]);
          System.exit(2);
        }
      }
    }
    long started = System.nanoTime();
    DatabaseManagementService service =
        new DatabaseManagementServiceBuilder(dataDir.toAbsolutePath())
            .setConfig(BoltConnector.enabled, true)
            .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
            .setConfig(BoltConnector.advertised_address, new SocketAddress("127.0.0.1", port))
            .setConfig(HttpConnector.enabled, false)
            .setConfig(GraphDatabaseSettings.auth_enabled, password != null)
            .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
            .setConfig(GraphDatabaseSettings.keep_logical_logs, "false")
            .setConfig(GraphDatabaseSettings.shutdown_transaction_end_timeout, Duration.ofSeconds(2))
            .build();
    Runtime.getRuntime().addShutdownHook(new Thread(service::shutdown, "neo4j-local-shutdown"));
    try {
      if (password != null) {
        setPassword(service, password);
      }
      // Touch the default database so the first client does not pay for its start.
      service.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
    } catch (RuntimeException e) {
      e.printStackTrace();
      System.exit(1); // Neo4j's threads would keep a half-started JVM alive otherwise
    }
    long millis = (System.nanoTime() - started) / 1_000_000;
    System.out.println("NEO4J_READY bolt://127.0.0.1:" + port + " in " + millis + " ms");
    System.out.flush();
    Thread.currentThread().join();
  }

  /** Embedded transactions bypass authentication, so the {@code neo4j} user's password is set here. */
  private static void setPassword(DatabaseManagementService service, String password) {
    try {
      service
          .database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
          .executeTransactionally(
              "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
              Map.of("password", password));
    } catch (QueryExecutionException e) {
      // A data directory from an earlier start already has this password: nothing to change.
      if (!String.valueOf(e.getMessage()).contains("cannot be the same")) {
        throw e;
      }
    }
  }
}
