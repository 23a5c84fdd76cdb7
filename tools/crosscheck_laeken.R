# Reference values from R laeken on its eusilc data (called by crosscheck_laeken.py).
args <- commandArgs(trailingOnly = TRUE)
out <- args[1]
suppressMessages(library(laeken))
data(eusilc)
write.csv(eusilc[, c("db040", "rb050", "eqIncome")], file.path(out, "eusilc.csv"), row.names = FALSE)
g <- gini("eqIncome", weights = "rb050", breakdown = "db040", data = eusilc)
a <- arpr("eqIncome", weights = "rb050", data = eusilc)
q <- incQuintile(eusilc$eqIncome, eusilc$rb050)
res <- rbind(
  data.frame(stat = "gini", domain = "all", value = g$value),
  data.frame(stat = "gini", domain = as.character(g$valueByStratum$stratum), value = g$valueByStratum$value),
  data.frame(stat = "median", domain = "all", value = weightedMedian(eusilc$eqIncome, eusilc$rb050)),
  data.frame(stat = "p20", domain = "all", value = q[1]),
  data.frame(stat = "p80", domain = "all", value = q[2]),
  data.frame(stat = "arpr_threshold", domain = "all", value = a$threshold),
  data.frame(stat = "arpr", domain = "all", value = a$value))
write.csv(res, file.path(out, "laeken.csv"), row.names = FALSE)
cat("laeken", as.character(packageVersion("laeken")), "\n")
