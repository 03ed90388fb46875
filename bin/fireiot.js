#!/usr/bin/env node
console.log("hi from bin", process.argv.slice(2))
