/*
 * kafka-mock-cluster: librdkafka's in-process mock Kafka cluster as a standalone process, so
 * tests of Kafka clients in other languages (kafkajs) talk the real wire protocol.
 *
 * Usage: kafka-mock-cluster [--brokers N] [--partitions P] [--debug] [TOPIC...]
 *
 * Creates a cluster of N brokers (default 1), creates each TOPIC with P partitions (default 3;
 * the mock has no admin API for creating topics), prints the bootstrap servers as one line on
 * stdout, then runs until stdin reaches end of file or it gets SIGTERM/SIGINT. Diagnostics go
 * to stderr; --debug adds librdkafka's mock debug log (every request and group state change).
 *
 * Lines on stdin are commands for fault injection, each answered by one line on stdout, "ok" or
 * "error: ...":
 *   push-errors API_KEY ERROR_CODE...   the next requests of that API fail with these codes
 *   broker-down BROKER_ID / broker-up BROKER_ID
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int sig) {
  (void)sig;
  stop_requested = 1;
}

/* Runs one stdin command; writes its answer line to stdout. */
static void run_command(rd_kafka_mock_cluster_t *mcluster, char *line) {
  char *words[64];
  int n = 0;
  for (char *save = NULL, *w = strtok_r(line, " \t\r", &save); w && n < 64; w = strtok_r(NULL, " \t\r", &save))
    words[n++] = w;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (n == 0) {
    return;
  } else if (strcmp(words[0], "push-errors") == 0 && n >= 3) {
    rd_kafka_resp_err_t errors[62];
    for (int i = 2; i < n; i++) errors[i - 2] = (rd_kafka_resp_err_t)atoi(words[i]);
    rd_kafka_mock_push_request_errors_array(mcluster, (int16_t)atoi(words[1]), (size_t)(n - 2), errors);
  } else if (strcmp(words[0], "broker-down") == 0 && n == 2) {
    err = rd_kafka_mock_broker_set_down(mcluster, atoi(words[1]));
  } else if (strcmp(words[0], "broker-up") == 0 && n == 2) {
    err = rd_kafka_mock_broker_set_up(mcluster, atoi(words[1]));
  } else {
    printf("error: unknown command %s\n", words[0]);
    fflush(stdout);
    return;
  }
  if (err)
    printf("error: %s\n", rd_kafka_err2str(err));
  else
    printf("ok\n");
  fflush(stdout);
}

static int parse_count(const char *flag, const char *value, int max) {
  char *end = NULL;
  long n = value ? strtol(value, &end, 10) : 0;
  if (!value || *end != '\0' || n < 1 || n > max) {
    fprintf(stderr, "kafka-mock-cluster: %s needs a number from 1 to %d\n", flag, max);
    exit(2);
  }
  return (int)n;
}

int main(int argc, char **argv) {
  int brokers = 1;
  int partitions = 3;
  int debug = 0;
  int first_topic = argc;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--brokers") == 0) {
      brokers = parse_count("--brokers", argv[++i], 16);
    } else if (strcmp(argv[i], "--partitions") == 0) {
      partitions = parse_count("--partitions", argv[++i], 1024);
    } else if (strcmp(argv[i], "--debug") == 0) {
      debug = 1;
    } else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      printf("usage: %s [--brokers N] [--partitions P] [--debug] [TOPIC...]\n", argv[0]);
      return 0;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "kafka-mock-cluster: unknown option %s\n", argv[i]);
      return 2;
    } else {
      first_topic = i;
      break;
    }
  }

  char errstr[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  /* The handle only hosts the mock cluster's thread; it never connects anywhere. */
  if (rd_kafka_conf_set(conf, "log_level", debug ? "7" : "3", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK ||
      (debug && rd_kafka_conf_set(conf, "debug", "mock", errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK)) {
    fprintf(stderr, "kafka-mock-cluster: %s\n", errstr);
    return 1;
  }
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (!rk) {
    fprintf(stderr, "kafka-mock-cluster: rd_kafka_new: %s\n", errstr);
    return 1;
  }
  rd_kafka_mock_cluster_t *mcluster = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mcluster) {
    fprintf(stderr, "kafka-mock-cluster: rd_kafka_mock_cluster_new failed\n");
    rd_kafka_destroy(rk);
    return 1;
  }

  for (int i = first_topic; i < argc; i++) {
    int replication = brokers < 3 ? brokers : 3;
    rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mcluster, argv[i], partitions, replication);
    if (err) {
      fprintf(stderr, "kafka-mock-cluster: creating topic %s: %s\n", argv[i], rd_kafka_err2str(err));
      rd_kafka_mock_cluster_destroy(mcluster);
      rd_kafka_destroy(rk);
      return 1;
    }
  }

  struct sigaction sa;
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mcluster));
  fflush(stdout);

  /* Runs commands until the parent closes stdin (or dies) or sends SIGTERM. */
  struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
  char buf[4096];
  size_t len = 0;
  while (!stop_requested) {
    int n = poll(&pfd, 1, 500);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (n == 0) continue;
    ssize_t r = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) break;
    len += (size_t)r;
    char *newline;
    while ((newline = memchr(buf, '\n', len))) {
      *newline = '\0';
      run_command(mcluster, buf);
      len -= (size_t)(newline + 1 - buf);
      memmove(buf, newline + 1, len);
    }
    if (len == sizeof(buf) - 1) len = 0; /* an overlong line: drop it */
  }

  rd_kafka_mock_cluster_destroy(mcluster);
  rd_kafka_destroy(rk);
  return 0;
}
