import java.util.concurrent.atomic.AtomicReference;

/** Prints the traces of java-printstacktrace.txt: a logged exception with a cause, then an uncaught one in a thread. */
public class App {
  static int parse(String text) {
    return Integer.parseInt(text);
  }

  static int load(String text) {
    try {
      return parse(text);
    } catch (NumberFormatException e) {
      IllegalStateException failure = new IllegalStateException("config value is broken: " + text, e);
      failure.addSuppressed(new java.io.IOException("could not close config.properties"));
      throw failure;
    }
  }

  public static void main(String[] args) throws Exception {
    System.err.println("2024-05-01 12:00:00.123 INFO  [main] App - starting");
    try {
      load("x1");
    } catch (IllegalStateException e) {
      System.err.println("2024-05-01 12:00:00.456 ERROR [main] App - load failed");
      e.printStackTrace();
    }
    System.err.println("2024-05-01 12:00:00.789 INFO  [main] App - still running");
    Thread worker = new Thread(() -> {
      throw new UnsupportedOperationException("worker died");
    }, "worker-1");
    worker.start();
    worker.join();
    System.err.println("2024-05-01 12:00:01.000 INFO  [main] App - done");
  }
}
